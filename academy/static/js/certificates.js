// Bulk certificate ZIP: poll the job's progress and reveal the download link when it is ready.
(function () {
  "use strict";
  var box = document.getElementById("bulk-job");
  if (!box) { return; }
  var text = document.getElementById("bulk-job-text");
  var bar = box.querySelector(".progress-bar");
  var progress = box.querySelector(".progress");
  var link = document.getElementById("bulk-job-download");

  function setPercent(pct) {
    if (!bar) { return; }
    bar.className = bar.className.replace(/\bw-pct-\d+\b/, "w-pct-" + Math.round(pct / 5) * 5);
    bar.textContent = pct + "%";
    if (progress) { progress.setAttribute("aria-valuenow", String(pct)); }
  }

  function poll() {
    fetch(box.dataset.progressUrl, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (r) { return r.json(); })
      .then(function (job) {
        var pct = job.total ? Math.round(100 * job.progress / job.total) : (job.status === "finished" ? 100 : 0);
        setPercent(pct);
        if (job.status === "failed") { text.textContent = box.dataset.labelFailed; return; }
        if (job.download_url) {
          text.textContent = box.dataset.labelDone;
          link.href = job.download_url;
          link.classList.remove("d-none");
          return;
        }
        if (job.status === "finished") { return; }  // expired link: the page already says so
        text.textContent = job.progress + " / " + job.total;
        window.setTimeout(poll, 1500);
      })
      .catch(function () { window.setTimeout(poll, 5000); });
  }
  if (link.classList.contains("d-none")) { poll(); }
})();
