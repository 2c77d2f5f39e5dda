"""Demo activities: the guideline library, events and distributions on the 63 units across
2009-2017 (hundreds of events, over 25,000 participants, as the programme reported by end 2017 in
DOMAIN.md), and some records on the 34 units in 2025-2026. Demo data, not real records.
Deterministic for a given ``rng`` and idempotent: a row whose natural key exists is not created again.
"""

import datetime
import random

from django.utils import timezone

from enterprises.models import Sector
from provinces.models import AdministrativeUnit, Generation
from reporting.models import CommunicationProduct, Event, Guideline, GuidelineDistribution

ISSUER = "Bộ Công Thương"
# (title, VSIC division, year): sector guidelines of the kind the ministry's CP programme published.
GUIDELINES = [
    ("Tài liệu hướng dẫn sản xuất sạch hơn ngành giấy và bột giấy", "17", 2011),
    ("Tài liệu hướng dẫn sản xuất sạch hơn ngành dệt nhuộm", "13", 2011),
    ("Tài liệu hướng dẫn sản xuất sạch hơn ngành thép lò điện hồ quang", "24", 2011),
    ("Tài liệu hướng dẫn sản xuất sạch hơn ngành sản xuất bia", "11", 2011),
    ("Tài liệu hướng dẫn sản xuất sạch hơn ngành sản xuất sơn", "20", 2012),
    ("Tài liệu hướng dẫn sản xuất sạch hơn ngành xi mạ", "25", 2012),
    ("Tài liệu hướng dẫn sản xuất sạch hơn ngành sản xuất phân bón NPK", "20", 2012),
    ("Tài liệu hướng dẫn sản xuất sạch hơn ngành chế biến thủy sản", "10", 2012),
    ("Tài liệu hướng dẫn sản xuất sạch hơn ngành chế biến tinh bột sắn", "10", 2012),
    ("Tài liệu hướng dẫn sản xuất sạch hơn ngành mía đường", "10", 2013),
    ("Tài liệu hướng dẫn sản xuất sạch hơn ngành sản xuất xi măng", "23", 2013),
    ("Tài liệu hướng dẫn sản xuất sạch hơn ngành gạch ngói nung", "23", 2013),
    ("Tài liệu hướng dẫn sản xuất sạch hơn ngành gốm sứ", "23", 2013),
    ("Tài liệu hướng dẫn sản xuất sạch hơn ngành thuộc da", "15", 2013),
    ("Tài liệu hướng dẫn sản xuất sạch hơn ngành giày dép", "15", 2014),
    ("Tài liệu hướng dẫn sản xuất sạch hơn ngành may mặc", "14", 2014),
    ("Tài liệu hướng dẫn sản xuất sạch hơn ngành chế biến gỗ", "16", 2014),
    ("Tài liệu hướng dẫn sản xuất sạch hơn ngành nhựa", "22", 2014),
    ("Tài liệu hướng dẫn sản xuất sạch hơn ngành chế biến sữa", "10", 2015),
    ("Tài liệu hướng dẫn sản xuất sạch hơn ngành chế biến cà phê", "10", 2015),
    ("Tài liệu hướng dẫn sản xuất sạch hơn ngành sản xuất nước giải khát", "11", 2015),
    ("Tài liệu hướng dẫn sản xuất sạch hơn ngành hóa chất cơ bản", "20", 2015),
    ("Tài liệu hướng dẫn sản xuất sạch hơn ngành cơ khí chế tạo", "25", 2016),
    ("Tài liệu hướng dẫn sản xuất sạch hơn ngành sản xuất pin và ắc quy", "27", 2016),
    ("Sổ tay hướng dẫn sử dụng năng lượng tiết kiệm và hiệu quả trong doanh nghiệp vừa và nhỏ", None, 2016),
    ("Tài liệu hướng dẫn sản xuất và tiêu dùng bền vững cho doanh nghiệp", None, 2022),
]

EVENT_TOPICS = {
    Event.Kind.TRAINING: [
        "Tập huấn nâng cao nhận thức về sản xuất sạch hơn cho doanh nghiệp",
        "Tập huấn phương pháp đánh giá sản xuất sạch hơn",
        "Tập huấn sử dụng năng lượng tiết kiệm và hiệu quả",
    ],
    Event.Kind.WORKSHOP: [
        "Hội thảo phổ biến Chiến lược sản xuất sạch hơn trong công nghiệp",
        "Hội thảo giới thiệu mô hình trình diễn sản xuất sạch hơn",
        "Hội thảo chia sẻ kinh nghiệm áp dụng sản xuất sạch hơn",
    ],
    Event.Kind.SEMINAR: ["Tọa đàm về sản xuất và tiêu dùng bền vững"],
    Event.Kind.CONFERENCE: ["Hội nghị tổng kết hoạt động sản xuất sạch hơn"],
}
PRODUCT_TITLES = {
    CommunicationProduct.Kind.ARTICLE: "Bài viết về sản xuất sạch hơn trên báo địa phương",
    CommunicationProduct.Kind.BROADCAST: "Phóng sự truyền hình về doanh nghiệp áp dụng sản xuất sạch hơn",
    CommunicationProduct.Kind.PUBLICATION: "Tờ rơi giới thiệu lợi ích của sản xuất sạch hơn",
    CommunicationProduct.Kind.VIDEO: "Video giới thiệu mô hình trình diễn sản xuất sạch hơn",
    CommunicationProduct.Kind.WEB_POST: "Tin bài trên cổng thông tin Sở Công Thương",
}
RECIPIENTS = "Doanh nghiệp công nghiệp trên địa bàn, Phòng Kinh tế các huyện, Hiệp hội doanh nghiệp tỉnh"


def _seed_guidelines() -> list[Guideline]:
    sectors = {s.code: s for s in Sector.objects.all()}
    existing = set(Guideline.objects.values_list("title", "year"))
    new = [
        Guideline(title=title, sector=sectors.get(code), issuer=ISSUER, year=year, language="vi")
        for title, code, year in GUIDELINES
        if (title, year) not in existing
    ]
    Guideline.objects.bulk_create(new)
    titles = {(t, y) for t, _c, y in GUIDELINES}
    return [g for g in Guideline.objects.order_by("year", "title") if (g.title, g.year) in titles]


def _date_in(rng: random.Random, year: int) -> datetime.date:
    """A day of ``year``; drawn from the whole year whatever today is, so that the same ``rng``
    gives the same rows on any day (rows still in the future are left out by the caller)."""
    return datetime.date(year, 1, 1) + datetime.timedelta(days=rng.randrange(365))


def _event(rng, unit, day) -> Event:
    kind = rng.choices(list(EVENT_TOPICS), weights=[5, 4, 1, 1])[0]
    enterprise = rng.randrange(20, 100)
    official = rng.randrange(3, 25)
    return Event(
        unit=unit,
        kind=kind,
        date=day,
        title=f"{rng.choice(EVENT_TOPICS[kind])} năm {day.year}",
        place=f"Sở Công Thương {unit.short_name_vi}",
        organiser=f"Sở Công Thương {unit.short_name_vi}",
        participants_enterprise=enterprise,
        participants_official=official,
        participants_other=rng.randrange(0, 10),
        enterprises_reached=rng.randrange(max(1, enterprise // 3), enterprise + 1),
        funding_level=rng.choice(["central", "local", "local", "donor"]),
    )


def _create_missing(model, objects, key) -> int:
    """Insert the objects whose natural key is not stored yet (idempotence), in one bulk insert."""
    today = timezone.localdate()
    objects = [o for o in objects if o.date <= today]
    units = {o.unit_id for o in objects}
    stored = {key(o) for o in model.objects.filter(unit_id__in=units)}
    new, seen = [], set()
    for obj in objects:
        k = key(obj)
        if k not in stored and k not in seen:
            seen.add(k)
            new.append(obj)
    model.objects.bulk_create(new, batch_size=1000)
    return len(new)


def seed_activities(rng: random.Random) -> dict:
    today = timezone.localdate()
    guidelines = _seed_guidelines()
    old_units = list(AdministrativeUnit.objects.of_generation(Generation.UNITS_63).order_by("code"))
    new_units = {u.code: u for u in AdministrativeUnit.objects.of_generation(Generation.UNITS_34)}

    events, products, distributions = [], [], []
    # 2009-2017 on the 63: about six events per year in a third of the provinces, growing over time.
    for year in range(2009, 2018):
        for unit in rng.sample(old_units, 14 + 2 * (year - 2009)):
            for _i in range(rng.randint(1, 3)):
                events.append(_event(rng, unit, _date_in(rng, year)))
            kind = rng.choice(list(PRODUCT_TITLES))
            products.append(
                CommunicationProduct(
                    unit=unit,
                    kind=kind,
                    date=_date_in(rng, year),
                    title=f"{PRODUCT_TITLES[kind]} năm {year}",
                    count=rng.randint(1, 12),
                )
            )
            published = [g for g in guidelines if g.year <= year]
            if published and rng.random() < 0.5:
                distributions.append(
                    GuidelineDistribution(
                        unit=unit,
                        guideline=rng.choice(published),
                        date=_date_in(rng, year),
                        copies=rng.randrange(20, 300, 10),
                        recipients=RECIPIENTS,
                    )
                )
    # 2025-2026 on the 34: Đà Nẵng and Hà Nội always, a few others.
    current = [new_units["48"], new_units["01"]] + rng.sample(
        [u for c, u in sorted(new_units.items()) if c not in ("48", "01")], 8
    )
    for year in (2025, 2026):
        if datetime.date(year, 1, 1) > today:
            continue
        for unit in current:
            for _i in range(rng.randint(2, 4)):
                events.append(_event(rng, unit, _date_in(rng, year)))
            for kind in rng.sample(list(PRODUCT_TITLES), 2):
                products.append(
                    CommunicationProduct(
                        unit=unit,
                        kind=kind,
                        date=_date_in(rng, year),
                        title=f"{PRODUCT_TITLES[kind]} năm {year}",
                        count=rng.randint(1, 20),
                    )
                )
            distributions.append(
                GuidelineDistribution(
                    unit=unit,
                    guideline=rng.choice(guidelines),
                    date=_date_in(rng, year),
                    copies=rng.randrange(20, 200, 10),
                    recipients=RECIPIENTS,
                )
            )
    return {
        "guidelines": len(guidelines),
        "events": _create_missing(Event, events, lambda o: (o.unit_id, o.date, o.title)),
        "communication_products": _create_missing(
            CommunicationProduct, products, lambda o: (o.unit_id, o.date, o.kind, o.title)
        ),
        "guideline_distributions": _create_missing(
            GuidelineDistribution, distributions, lambda o: (o.unit_id, o.date, o.guideline_id)
        ),
    }
