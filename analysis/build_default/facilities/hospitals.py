"""The hospitals the plan and the reports name: campuses, sub-centres, public-health hospitals."""

from __future__ import annotations

from analysis.build_default.facilities.records import LUOSHAN_PROXY, QINGYANG_NOTE, FacilityRecords
from analysis.build_default.sources import ANHAI, CITY, PLAN, TCM


def add_hospitals(records: FacilityRecords) -> None:
    """Add the 12 hospitals (open and planned): the lead hospitals first, then the branches."""
    add_lead_hospitals(records)
    add_branch_hospitals(records)


def add_lead_hospitals(records: FacilityRecords) -> None:
    """Add the 3 lead hospitals' main sites, the 和敏 campus and the maternal-and-child hospital."""
    records.add(
        CITY,
        "晋江市医院（上海六院福建医院）罗裳院区",
        "Jinjiang Municipal Hospital – Luoshang campus (main)",
        "hospital",
        town="罗山",
        precision="town",
        source=records.source_of("晋江市医院（上海六院福建医院）罗裳院区"),
        note=(
            "lead hospital of its medical community; at 世纪大道/晋光路, "
            f"罗山街道; opened 2021-01; 1,432 beds; {LUOSHAN_PROXY}"
        ),
        tier=1,
        community=CITY,
        beds=1432,
        opens="2021-01",
    )
    records.add(
        "hosp-aiguolou",
        "晋江市医院 爱国楼院区",
        "Jinjiang Municipal Hospital – Aiguolou campus",
        "hospital",
        town="青阳",
        precision="town",
        source=records.source_of("晋江市医院 爱国楼院区"),
        note=(
            "old city-hospital site shared with 妇幼保健院, 中医院 "
            f"and the 120 centre; beds unknown; {QINGYANG_NOTE}"
        ),
        tier=1,
        community=CITY,
    )
    records.add(
        "hosp-hemin",
        "晋江市医院 和敏院区（福建和敏医院）",
        "Jinjiang Municipal Hospital – Hemin campus",
        "hospital",
        town="陈埭",
        precision="town",
        source=records.source_of("晋江市医院 和敏院区（福建和敏医院）"),
        note=(
            "planned: 陈埭镇晋东新区鞋纺城大道北侧, 1,000 beds, opening "
            "planned 2026-06; placed at the 陈埭 town point"
        ),
        tier=1,
        community=CITY,
        beds=1000,
        status="planned",
        opens="2026-06",
    )
    records.add(
        TCM,
        "晋江市中医院",
        "Jinjiang TCM Hospital",
        "hospital",
        town="青阳",
        precision="town",
        source=records.source_of("晋江市中医院"),
        note=(
            "lead hospital of its medical community; shares the "
            f"爱国楼院区 site (2024-12); beds unknown; {QINGYANG_NOTE}"
        ),
        tier=1,
        community=TCM,
    )
    records.add(
        "hosp-maternal",
        "晋江市妇幼保健院",
        "Jinjiang Maternal & Child Health Hospital",
        "hospital",
        town="青阳",
        precision="town",
        source=records.source_of("晋江市妇幼保健院"),
        note=f"public-health body of the 3+4+5+X system; shares the 爱国楼院区 site; {QINGYANG_NOTE}",
        tier=1,
    )
    records.add(
        ANHAI,
        "晋江市第二医院（安海医院）",
        "Jinjiang No.2 Hospital (Anhai Hospital)",
        "hospital",
        town="安海",
        precision="town",
        source=records.source_of("晋江市第二医院（安海医院）"),
        note=(
            "lead hospital of its medical community; in 安海镇, "
            "address unknown; placed at the 安海 town point"
        ),
        tier=1,
        community=ANHAI,
    )


def add_branch_hospitals(records: FacilityRecords) -> None:
    """Add the branches, sub-centre hospitals and other campuses (6, some planned)."""
    records.add(
        "hosp-jinnan",
        "晋江市医院晋南分院",
        "Jinjiang Municipal Hospital – Jinnan branch",
        "hospital",
        town=None,
        precision="unknown",
        source=f"{PLAN} 三(一)2(2); {records.places['晋江市120急救分中心：晋江市医院晋南分院']['source']}",
        note=(
            "sub-centre of the 3+4+5+X system; town not identified "
            "(晋南 = southern Jinjiang): location unknown"
        ),
        tier=2,
        community=CITY,
    )
    records.add(
        "hosp-yingdun",
        "英墩华侨医院（晋江市医院晋中分院）",
        "Yingdun Overseas Chinese Hospital (Jinzhong branch)",
        "hospital",
        town="永和",
        precision="unknown",
        source=f"{PLAN} 三(一)2(2); {records.places['120急救站：英墩华侨医院']['source']}",
        note="sub-centre of the 3+4+5+X system; in 永和镇, which has no known point: location unknown",
        tier=2,
        community=CITY,
    )
    records.add(
        "hosp-third",
        "晋江市第三医院",
        "Jinjiang No.3 Hospital (mental health)",
        "hospital",
        town=None,
        precision="unknown",
        source=f"{PLAN} (3+4+5+X: public-health bodies)",
        note="mental-health hospital named by the plan; location unknown",
        tier=1,
    )
    records.add(
        "hosp-overseas-new",
        "晋江市华侨医院 新院区（晋江市医院晋中分院）",
        "Jinjiang Overseas Chinese Hospital – new campus",
        "hospital",
        town="永和",
        precision="unknown",
        source=records.source_of("晋江市华侨医院 新院区（晋江市医院晋中分院）"),
        note=(
            "planned: 永和镇大深路与高速连接线交叉地块, about 300 beds, "
            "due end-2025 (report of 2024-11; opening not "
            "confirmed); probably the successor of 英墩华侨医院 (not verified); 永和 has no known point"
        ),
        tier=2,
        community=CITY,
        beds=300,
        status="planned",
        opens="2025-12",
    )
    records.add(
        "hosp-yinglin",
        "晋江市医院英林院区（英林镇中心卫生院）",
        "Jinjiang Municipal Hospital – Yinglin campus",
        "hospital",
        town="英林",
        precision="town",
        source=records.source_of("晋江市医院英林院区（英林镇中心卫生院）"),
        note=(
            "planned: 英林镇英林村龙马路与龙狮路交叉处, 100 beds, move-in "
            "planned 2027 H2; placed at the 英林 town "
            "point (precision town; the site address is known but not geocoded)"
        ),
        tier=1,
        community=CITY,
        beds=100,
        status="planned",
        opens="2027",
    )
    records.add(
        "hosp-edz",
        "晋江市医院经济开发区院区",
        "Jinjiang Municipal Hospital – Economic Development Zone campus",
        "hospital",
        town=None,
        precision="unknown",
        source=records.source_of("晋江市医院经济开发区院区"),
        note="opened 2019 at 祥源路 next to 五里公交枢纽站 (经济开发区); no coordinates: location unknown",
        tier=1,
        community=CITY,
    )
