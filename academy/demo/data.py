"""Word lists for `flask demo seed`: unit names, Vietnamese personal names, positions, demo
accounts.

Plain data only. Names carry their correct diacritics; ``ascii_slug`` makes email parts of them.
"""

from __future__ import annotations

import random
import unicodedata

# The one password of every demo account and every seeded learner (documented in the README).
DEMO_PASSWORD = "HocVienSo@2026"
DEMO_EMAIL_DOMAIN = "hvs.gov.vn"
LEARNER_CODE_PREFIX = "HVS"  # seeded learners: HVS0000001, HVS0000002, …
CITY_CODE = "TP"
CITY_NAME = "Thành phố"
WARD_COUNT = 126
CELLS_PER_WARD = 2
UNIT_TREE_SEED = 2026  # the tree is the same whatever --seed says

AGENCIES = (
    ("VPTU", "Văn phòng Thành uỷ"),
    ("BTCTU", "Ban Tổ chức Thành uỷ"),
    ("BTGDVTU", "Ban Tuyên giáo và Dân vận Thành uỷ"),
    ("UBKTTU", "Uỷ ban Kiểm tra Thành uỷ"),
    ("BNCTU", "Ban Nội chính Thành uỷ"),
    ("DUCQD", "Đảng uỷ các cơ quan Đảng Thành phố"),
    ("VPHDND", "Văn phòng Đoàn ĐBQH và HĐND Thành phố"),
    ("VPUBND", "Văn phòng UBND Thành phố"),
    ("SNV", "Sở Nội vụ"),
    ("STC", "Sở Tài chính"),
    ("SKHCN", "Sở Khoa học và Công nghệ"),
    ("SYT", "Sở Y tế"),
    ("SGDDT", "Sở Giáo dục và Đào tạo"),
    ("STP", "Sở Tư pháp"),
    ("SXD", "Sở Xây dựng"),
    ("SCT", "Sở Công Thương"),
    ("SNNMT", "Sở Nông nghiệp và Môi trường"),
    ("SVHTT", "Sở Văn hoá, Thể thao và Du lịch"),
    ("SDTXH", "Sở Dân tộc và Tôn giáo"),
    ("TTRA", "Thanh tra Thành phố"),
    ("BQLKCN", "Ban Quản lý các Khu công nghiệp"),
    ("TTPVHCC", "Trung tâm Phục vụ hành chính công"),
    ("UBMTTQ", "Uỷ ban Mặt trận Tổ quốc Việt Nam Thành phố"),
    ("TDTN", "Thành đoàn"),
    ("HLHPN", "Hội Liên hiệp Phụ nữ Thành phố"),
)

# Ward and commune names are built from two syllables; the combinations are shuffled once.
WARD_FIRST = (
    "An",
    "Bình",
    "Hoà",
    "Tân",
    "Phú",
    "Long",
    "Thạnh",
    "Phước",
    "Vĩnh",
    "Thuận",
    "Đông",
    "Tây",
    "Hưng",
    "Quang",
    "Minh",
    "Thịnh",
    "Trung",
    "Nghĩa",
)
WARD_SECOND = (
    "Bình",
    "Phú",
    "Khánh",
    "Lợi",
    "Hưng",
    "Thạnh",
    "Mỹ",
    "Đông",
    "Tây",
    "Lộc",
    "Thọ",
    "Phước",
    "Hoà",
    "An",
    "Xuân",
    "Hải",
    "Sơn",
    "Trung",
    "Nam",
    "Bắc",
)
COMMUNE_SHARE = 0.3  # about a third of the 126 are communes (xã), the rest wards (phường)

FAMILY_NAMES = (
    ("Nguyễn", 38),
    ("Trần", 11),
    ("Lê", 9),
    ("Phạm", 7),
    ("Hoàng", 4),
    ("Huỳnh", 4),
    ("Phan", 4),
    ("Vũ", 3),
    ("Võ", 3),
    ("Đặng", 2),
    ("Bùi", 2),
    ("Đỗ", 2),
    ("Hồ", 2),
    ("Ngô", 2),
    ("Dương", 1),
    ("Lý", 1),
    ("Đinh", 1),
    ("Trương", 1),
    ("Lương", 1),
)
MIDDLE_MALE = ("Văn", "Hữu", "Đức", "Minh", "Quang", "Thành", "Công", "Xuân", "Quốc", "Ngọc")
MIDDLE_FEMALE = ("Thị", "Ngọc", "Thu", "Thanh", "Hồng", "Minh", "Phương", "Kim", "Thuỳ", "Bích")
GIVEN_MALE = (
    "An",
    "Bình",
    "Cường",
    "Dũng",
    "Đạt",
    "Hải",
    "Hùng",
    "Huy",
    "Khang",
    "Khoa",
    "Long",
    "Minh",
    "Nam",
    "Phong",
    "Phúc",
    "Quân",
    "Sơn",
    "Tài",
    "Thắng",
    "Thịnh",
    "Trung",
    "Tuấn",
    "Việt",
    "Vinh",
    "Hiếu",
    "Lâm",
    "Nghĩa",
    "Toàn",
)
GIVEN_FEMALE = (
    "Anh",
    "Chi",
    "Dung",
    "Giang",
    "Hà",
    "Hạnh",
    "Hằng",
    "Hiền",
    "Hoa",
    "Huệ",
    "Hương",
    "Lan",
    "Linh",
    "Loan",
    "Mai",
    "My",
    "Nga",
    "Ngân",
    "Nhung",
    "Oanh",
    "Phương",
    "Quyên",
    "Thảo",
    "Trang",
    "Tuyết",
    "Vân",
    "Yến",
    "Thư",
)

AGENCY_POSITIONS = (
    "Chuyên viên",
    "Chuyên viên",
    "Chuyên viên",
    "Chuyên viên chính",
    "Chuyên viên chính",
    "Phó Trưởng phòng",
    "Trưởng phòng",
    "Phó Chánh Văn phòng",
    "Thanh tra viên",
    "Kế toán viên",
)
WARD_POSITIONS = (
    "Chủ tịch UBND {kind}",
    "Phó Chủ tịch UBND {kind}",
    "Phó Chủ tịch UBND {kind}",
    "Bí thư Đảng uỷ {kind}",
    "Công chức Văn phòng - Thống kê",
    "Công chức Tư pháp - Hộ tịch",
    "Công chức Địa chính - Xây dựng",
    "Công chức Văn hoá - Xã hội",
    "Công chức Tài chính - Kế toán",
    "Chuyên viên",
    "Chuyên viên",
)
CELL_POSITIONS = (
    "Bí thư chi bộ",
    "Phó Bí thư chi bộ",
    "Chi uỷ viên",
    "Đảng viên",
    "Đảng viên",
    "Đảng viên",
)

# (email local part, full name, roles, where: "city" | "ward" | "agency", position)
DEMO_ACCOUNTS = (
    ("hocvien", "Nguyễn Thị Lan", ("learner",), "ward", "Công chức Văn phòng - Thống kê"),
    ("giangvien", "Trần Quốc Bảo", ("instructor",), "city", "Giảng viên"),
    ("nhansu", "Lê Thị Thu Hà", ("hr",), "city", "Chuyên viên Ban Tổ chức"),
    ("nhansu.phuong", "Phạm Văn Hùng", ("hr",), "ward", "Công chức Nội vụ"),
    ("quantri", "Đỗ Minh Tuấn", ("admin",), "city", "Quản trị hệ thống"),
)

EXTRA_COURSE_TOPICS = (
    ("theory", "Xây dựng Đảng trong tình hình mới"),
    ("data", "Thống kê cơ bản cho công chức"),
    ("ai", "Trợ lý ảo trong công việc hành chính"),
    ("theory", "Kỹ năng tiếp dân và giải quyết khiếu nại"),
    ("data", "Dữ liệu mở và chia sẻ dữ liệu"),
    ("ai", "Đánh giá rủi ro khi dùng trí tuệ nhân tạo"),
    ("theory", "Cải cách hành chính và Chính phủ số"),
    ("data", "Bảng tính cho báo cáo định kỳ"),
    ("ai", "Viết yêu cầu cho mô hình ngôn ngữ"),
    ("theory", "An toàn thông tin cho cán bộ"),
)


def ascii_slug(text: str) -> str:
    """'Nguyễn Thị Hằng' → 'nguyen thi hang' (đ becomes d; other marks dropped)."""
    text = text.replace("đ", "d").replace("Đ", "D")
    decomposed = unicodedata.normalize("NFD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).lower()


def ward_names(count: int = WARD_COUNT) -> list[str]:
    """``count`` unique names such as 'Phường An Bình' or 'Xã Tân Phú', the same on every run."""
    rng = random.Random(UNIT_TREE_SEED)
    pairs = [(a, b) for a in WARD_FIRST for b in WARD_SECOND if a != b]
    rng.shuffle(pairs)
    communes = int(count * COMMUNE_SHARE)
    return [
        ("Xã " if i < communes else "Phường ") + f"{a} {b}"
        for i, (a, b) in enumerate(pairs[:count])
    ]


class NameMaker:
    """Plausible Vietnamese full names, weighted by how common each family name is."""

    def __init__(self, rng: random.Random):
        self.rng = rng
        self.families = [name for name, _ in FAMILY_NAMES]
        self.weights = [weight for _, weight in FAMILY_NAMES]

    def full_name(self) -> tuple[str, str]:
        """(full name, ASCII email stem such as 'hang.nt')."""
        rng = self.rng
        family = rng.choices(self.families, self.weights)[0]
        if rng.random() < 0.5:
            middle, given = rng.choice(MIDDLE_FEMALE), rng.choice(GIVEN_FEMALE)
        else:
            middle, given = rng.choice(MIDDLE_MALE), rng.choice(GIVEN_MALE)
        if rng.random() < 0.15:  # some names carry two middle names
            middle = f"{middle} {rng.choice(MIDDLE_FEMALE + MIDDLE_MALE)}"
        full = f"{family} {middle} {given}"
        initials = "".join(part[0] for part in ascii_slug(f"{family} {middle}").split())
        return full, f"{ascii_slug(given).replace(' ', '')}.{initials}"


def position_for(kind: str, unit_name: str, rng: random.Random) -> str:
    if kind == "ward":
        label = "xã" if unit_name.startswith("Xã") else "phường"
        return rng.choice(WARD_POSITIONS).format(kind=label)
    if kind == "cell":
        return rng.choice(CELL_POSITIONS)
    return rng.choice(AGENCY_POSITIONS)
