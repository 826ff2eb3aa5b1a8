"""Admin pages for certificates: search, revoke with a reason, reissue (all audited)."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from academy.auth.access import require, roles_required
from academy.certificates import services
from academy.certificates.forms import RevokeForm
from academy.certificates.models import Certificate
from academy.certificates.views import bp
from academy.extensions import db


@bp.get("/admin/certificates")
@roles_required("admin")
def admin_list():
    query = (request.args.get("q") or "").strip()[:100]
    certificates = services.search_certificates(query)
    return render_template(
        "certificates/admin_list.html", certificates=certificates, query=query, form=RevokeForm()
    )


def _certificate_or_404(certificate_id: int) -> Certificate:
    certificate = db.session.get(Certificate, certificate_id)
    require(certificate is not None)
    return certificate


@bp.post("/admin/certificates/<int:certificate_id>/revoke")
@roles_required("admin")
def admin_revoke(certificate_id: int):
    certificate = _certificate_or_404(certificate_id)
    form = RevokeForm()
    if not form.validate_on_submit():
        return _invalid(form, certificate)
    if certificate.revoked_at is not None:
        flash(
            _("Giấy chứng nhận %(serial)s đã bị thu hồi trước đó.", serial=certificate.serial),
            "info",
        )
        return redirect(url_for("certificates.admin_list", q=certificate.serial), 303)
    services.revoke_certificate(certificate, form.reason.data)
    db.session.commit()
    flash(_("Đã thu hồi giấy chứng nhận %(serial)s.", serial=certificate.serial), "success")
    return redirect(url_for("certificates.admin_list", q=certificate.serial), 303)


@bp.post("/admin/certificates/<int:certificate_id>/reissue")
@roles_required("admin")
def admin_reissue(certificate_id: int):
    certificate = _certificate_or_404(certificate_id)
    form = RevokeForm()
    if not form.validate_on_submit():
        return _invalid(form, certificate)
    fresh = services.reissue_certificate(certificate, form.reason.data)
    db.session.commit()
    flash(_("Đã cấp lại: số hiệu mới %(serial)s.", serial=fresh.serial), "success")
    return redirect(url_for("certificates.admin_list", q=fresh.serial), 303)


def _invalid(form: RevokeForm, certificate: Certificate):
    """Show the certificate again with the form's errors (400), nothing changed."""
    for errors in form.errors.values():
        for error in errors:
            flash(error, "danger")
    return render_template(
        "certificates/admin_list.html",
        certificates=[certificate],
        query=certificate.serial,
        form=form,
    ), 400
