"""Relevance bench: everyday queries in the eleven locales against the demo data.

Each query is written as a visitor would type it, with the categories (taxonomy codes) a right
answer has. A query succeeds when one of the first five results is filed under one of them
(a listing's categories include their ancestors). Reports success@5 and MRR (reciprocal rank of
the first right result, 0 past the first page) per locale and overall.

    python bench/relevance.py            # the table (Markdown), then the misses
    python bench/relevance.py --misses   # every query that did not succeed, with its top three

The first CORE queries of each locale name different needs; tests/search/test_relevance.py
asserts that every one of them succeeds, so a regression fails CI.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

DV = ("crisis-line", "transition-house", "counselling", "legal-advocacy")
SA = ("sexual-assault-support",)
SHELTER = ("transition-house",)
CRISIS = ("crisis-line",)
COUNSEL = ("counselling", "sexual-assault-support")
LEGAL = ("legal-advocacy",)
STI = ("sti-testing",)
KIT = ("home-test-kits",)
CONTRA = ("contraception",)
EC = ("emergency-contraception",)
PREG = ("pregnancy-options",)
PEP = ("pep",)
PREP = ("prep",)
GAC = ("gender-affirming-care",)
YOUTH = ("youth-clinic",)
NEWCOMER = ("newcomers",)
MEN = ("mens-programs",)

CORE = 12  # the first twelve queries of each locale: twelve different needs

QUERIES: dict[str, list[tuple[str, tuple[str, ...]]]] = {
    "en": [
        ("my partner hurts me", DV), ("i was raped", SA), ("need a place to stay tonight", SHELTER),
        ("i want to die", CRISIS), ("someone to talk to", COUNSEL),
        ("restraining order", LEGAL), ("std test", STI), ("hiv test", STI),
        ("birth control pill", CONTRA), ("condom broke", EC), ("i think i'm pregnant", PREG),
        ("exposed to hiv last night", PEP),
        ("domestic violence", DV), ("he hits me", DV), ("kicked out by my husband", SHELTER),
        ("abortion", PREG), ("morning after pill", EC), ("prep", PREP),
        ("trans hormones", GAC), ("teen clinic", YOUTH), ("sexual assault", SA),
        ("womens shelter", SHELTER), ("home test kit", KIT), ("lawyer custody", LEGAL),
        ("anger management for men", MEN), ("refugee clinic", NEWCOMER),
        ("iud", CONTRA), ("burning when i pee", STI),
    ],
    "fr": [
        ("mon conjoint me frappe", DV), ("j'ai été violée", SA), ("maison d'hébergement", SHELTER),
        ("je veux mourir", CRISIS), ("besoin de parler à quelqu'un", COUNSEL),
        ("ordonnance de protection", LEGAL), ("dépistage ITSS", STI), ("test VIH", STI),
        ("pilule contraceptive", CONTRA), ("le condom a brisé", EC), ("IVG", PREG),
        ("PPE", PEP),
        ("violence conjugale", DV), ("agression sexuelle", SA), ("mise à la porte", SHELTER),
        ("avortement", PREG), ("pilule du lendemain", EC), ("PrEP", PREP),
        ("soins trans", GAC), ("clinique jeunesse", YOUTH), ("ligne d'écoute", CRISIS),
        ("je pense être enceinte", PREG), ("autotest", KIT), ("avocat droit de la famille", LEGAL),
        ("stérilet", CONTRA), ("réfugiés santé sexuelle", NEWCOMER),
    ],
    "es": [
        ("mi esposo me pega", DV), ("me violaron", SA), ("refugio para mujeres", SHELTER),
        ("quiero morir", CRISIS), ("necesito hablar con alguien", COUNSEL),
        ("orden de protección", LEGAL), ("prueba de ETS", STI), ("prueba de VIH", STI),
        ("anticonceptivos", CONTRA), ("se rompió el condón", EC),
        ("interrupción del embarazo", PREG), ("profilaxis post exposición", PEP),
        ("violencia doméstica", DV), ("agresión sexual", SA), ("me echaron de casa", SHELTER),
        ("aborto", PREG), ("pastilla del día después", EC), ("PrEP", PREP),
        ("terapia hormonal trans", GAC), ("clínica para adolescentes", YOUTH),
        ("línea de crisis", CRISIS), ("creo que estoy embarazada", PREG),
        ("prueba en casa", KIT), ("abogado custodia", LEGAL), ("inmigrantes", NEWCOMER),
    ],
    "zh_Hans": [
        ("老公打我", DV), ("我被强奸了", SA), ("庇护所", SHELTER), ("我想死", CRISIS),
        ("心理咨询", COUNSEL), ("保护令", LEGAL), ("性病检测", STI), ("艾滋病检测", STI),
        ("避孕药", CONTRA), ("避孕套破了", EC), ("堕胎", PREG), ("阻断药", PEP),
        ("家暴", DV), ("性侵", SA), ("被赶出家门", SHELTER), ("人流", PREG),
        ("紧急避孕药", EC), ("暴露前预防", PREP), ("跨性别", GAC), ("青少年诊所", YOUTH),
        ("危机热线", CRISIS), ("我可能怀孕了", PREG), ("法律援助", LEGAL), ("新移民", NEWCOMER),
    ],
    "zh_Hant": [
        ("老公打我", DV), ("我被強姦了", SA), ("庇護所", SHELTER), ("我想死", CRISIS),
        ("心理輔導", COUNSEL), ("保護令", LEGAL), ("性病檢測", STI), ("愛滋病檢測", STI),
        ("避孕藥", CONTRA), ("安全套破了", EC), ("墮胎", PREG), ("阻斷藥", PEP),
        ("家暴", DV), ("性侵", SA), ("無家可歸", SHELTER), ("人工流產", PREG),
        ("緊急避孕藥", EC), ("暴露前預防", PREP), ("跨性別", GAC), ("青少年", YOUTH),
        ("危機熱線", CRISIS), ("我可能懷孕了", PREG), ("法律援助", LEGAL), ("新移民", NEWCOMER),
    ],
    "pa": [
        ("ਮੇਰਾ ਪਤੀ ਮੈਨੂੰ ਮਾਰਦਾ ਹੈ", DV), ("ਬਲਾਤਕਾਰ", SA), ("ਸੁਰੱਖਿਅਤ ਘਰ", SHELTER),
        ("ਮੈਂ ਮਰਨਾ ਚਾਹੁੰਦੀ ਹਾਂ", CRISIS), ("ਕਾਉਂਸਲਿੰਗ", COUNSEL), ("ਸੁਰੱਖਿਆ ਆਦੇਸ਼", LEGAL),
        ("ਗੁਪਤ ਰੋਗ ਦੀ ਜਾਂਚ", STI), ("ਐਚਆਈਵੀ ਟੈਸਟ", STI), ("ਗਰਭ ਰੋਕੂ ਗੋਲੀ", CONTRA),
        ("ਕੰਡੋਮ ਫਟ ਗਿਆ", EC), ("ਗਰਭਪਾਤ", PREG), ("ਪੀਈਪੀ", PEP),
        ("ਘਰੇਲੂ ਹਿੰਸਾ", DV), ("ਜਿਨਸੀ ਹਮਲਾ", SA), ("ਘਰੋਂ ਕੱਢ ਦਿੱਤਾ", SHELTER),
        ("ਅਗਲੀ ਸਵੇਰ ਦੀ ਗੋਲੀ", EC), ("ਪ੍ਰੈਪ", PREP), ("ਟਰਾਂਸਜੈਂਡਰ", GAC), ("ਨੌਜਵਾਨ", YOUTH),
        ("ਹੈਲਪਲਾਈਨ", CRISIS), ("ਸ਼ਾਇਦ ਮੈਂ ਗਰਭਵਤੀ ਹਾਂ", PREG), ("ਵਕੀਲ", LEGAL),
        ("ਸ਼ਰਨਾਰਥੀ", NEWCOMER),
    ],
    "ar": [
        ("زوجي يضربني", DV), ("تعرضت للاغتصاب", SA), ("مأوى للنساء", SHELTER),
        ("أريد أن أموت", CRISIS), ("استشارة نفسية", COUNSEL), ("أمر حماية", LEGAL),
        ("فحص الأمراض المنقولة جنسيا", STI), ("فحص الإيدز", STI), ("حبوب منع الحمل", CONTRA),
        ("انقطع الواقي", EC), ("إجهاض", PREG), ("الوقاية بعد التعرض", PEP),
        ("العنف الأسري", DV), ("اعتداء جنسي", SA), ("طردني من البيت", SHELTER),
        ("حبة الصباح التالي", EC), ("الوقاية قبل التعرض", PREP), ("العلاج الهرموني", GAC),
        ("عيادة الشباب", YOUTH), ("خط المساعدة", CRISIS), ("أعتقد أنني حامل", PREG),
        ("محامي", LEGAL), ("لاجئين", NEWCOMER), ("اللولب", CONTRA),
    ],
    "fa": [
        ("شوهرم کتکم می‌زند", DV), ("به من تجاوز شد", SA), ("خانه امن", SHELTER),
        ("می‌خواهم بمیرم", CRISIS), ("مشاوره", COUNSEL), ("حکم حمایتی", LEGAL),
        ("آزمایش بیماری‌های مقاربتی", STI), ("آزمایش ایدز", STI), ("قرص ضد بارداری", CONTRA),
        ("کاندوم پاره شد", EC), ("سقط جنین", PREG), ("پیشگیری پس از تماس", PEP),
        ("خشونت خانگی", DV), ("تجاوز جنسی", SA), ("جایی برای ماندن ندارم", SHELTER),
        ("قرص اورژانسی", EC), ("پیشگیری پیش از تماس", PREP), ("تغییر جنسیت", GAC),
        ("نوجوانان", YOUTH), ("خط کمک", CRISIS), ("فکر می‌کنم باردارم", PREG),
        ("وکیل", LEGAL), ("پناهنده", NEWCOMER),
    ],
    "ko": [
        ("남편이 때려요", DV), ("성폭행을 당했어요", SA), ("쉼터", SHELTER), ("죽고 싶어요", CRISIS),
        ("심리 상담", COUNSEL), ("접근금지명령", LEGAL), ("성병 검사", STI), ("에이즈 검사", STI),
        ("피임약", CONTRA), ("콘돔이 찢어졌어요", EC), ("낙태", PREG), ("노출 후 예방", PEP),
        ("가정폭력", DV), ("성폭력", SA), ("갈 곳이 없어요", SHELTER), ("사후피임약", EC),
        ("프렙", PREP), ("트랜스젠더 호르몬", GAC), ("청소년", YOUTH), ("상담전화", CRISIS),
        ("임신한 것 같아요", PREG), ("변호사", LEGAL), ("이민자", NEWCOMER),
    ],
    "vi": [
        ("chồng đánh tôi", DV), ("tôi bị hiếp", SA), ("nhà tạm lánh", SHELTER),
        ("tôi muốn chết", CRISIS), ("tư vấn tâm lý", COUNSEL), ("lệnh bảo vệ", LEGAL),
        ("xét nghiệm bệnh xã hội", STI), ("xét nghiệm HIV", STI), ("thuốc tránh thai", CONTRA),
        ("bao cao su bị rách", EC), ("phá thai", PREG), ("dự phòng sau phơi nhiễm", PEP),
        ("bạo lực gia đình", DV), ("xâm hại tình dục", SA), ("bị đuổi ra khỏi nhà", SHELTER),
        ("thuốc tránh thai khẩn cấp", EC), ("dự phòng trước phơi nhiễm", PREP),
        ("người chuyển giới", GAC), ("thanh thiếu niên", YOUTH), ("đường dây nóng", CRISIS),
        ("tôi nghĩ tôi có thai", PREG), ("luật sư", LEGAL), ("người nhập cư", NEWCOMER),
    ],
    "tl": [
        ("sinasaktan ako ng asawa ko", DV), ("ginahasa ako", SA), ("kanlungan", SHELTER),
        ("gusto kong mamatay", CRISIS), ("kailangan ko ng makakausap", COUNSEL),
        ("protection order", LEGAL), ("STD test", STI), ("HIV test", STI),
        ("kontrasepsyon", CONTRA), ("pumutok ang condom", EC), ("aborsyon", PREG),
        ("PEP", PEP),
        ("karahasan sa tahanan", DV), ("panggagahasa", SA), ("pinalayas ako", SHELTER),
        ("morning after pill", EC), ("PrEP", PREP), ("transgender", GAC), ("kabataan", YOUTH),
        ("hotline", CRISIS), ("baka buntis ako", PREG), ("abogado", LEGAL),
        ("imigrante", NEWCOMER),
    ],
}


def rank_of_first_right(hits, expected: tuple[str, ...], codes: dict[str, str]) -> int | None:
    """1-based rank of the first hit filed under an expected category, or None."""
    for rank, hit in enumerate(hits, start=1):
        if any(codes.get(term) in expected for term in hit.terms):
            return rank
    return None


def evaluate(locales=None, *, core_only: bool = False) -> dict:
    """Run the query set (inside an app context holding the demo data and its index)."""
    from directory.search.documents import Taxonomy
    from directory.search.query import search

    codes = {term_id: info.code for term_id, info in Taxonomy.load().terms.items()}
    report: dict = {"locales": {}, "misses": []}
    all_ranks: list[int | None] = []
    for locale in locales or QUERIES:
        queries = QUERIES[locale][:CORE] if core_only else QUERIES[locale]
        ranks = []
        for text, expected in queries:
            results = search(text, locale=locale, page_size=10, with_facets=False)
            rank = rank_of_first_right(results.hits, expected, codes)
            ranks.append(rank)
            if rank is None or rank > 5:
                top = [(h.name, [codes.get(t) for t in h.terms]) for h in results.hits[:3]]
                report["misses"].append((locale, text, expected, rank, top))
        report["locales"][locale] = _scores(ranks)
        all_ranks += ranks
    report["overall"] = _scores(all_ranks)
    return report


def _scores(ranks: list[int | None]) -> dict:
    n = len(ranks) or 1
    return {"queries": len(ranks),
            "success_at_5": sum(1 for r in ranks if r is not None and r <= 5) / n,
            "mrr": sum(1 / r for r in ranks if r is not None) / n}


def demo_app():
    """A throwaway app: SQLite database, the demo data, a fresh index."""
    from flask_migrate import upgrade

    from directory import create_app
    from directory.cli import load_demo
    from directory.extensions import db
    from directory.search import sync

    folder = tempfile.mkdtemp(prefix="relevance-")
    app = create_app({"SECRET_KEY": "bench", "DATABASE_URL": f"sqlite:///{folder}/demo.db",
                      "INDEX_DIR": os.path.join(folder, "index"),
                      "SEARCH_ENSURE_ON_START": False})
    with app.app_context():
        upgrade()
        load_demo()
        db.session.commit()
        sync.rebuild(app)
    return app


def table(report: dict) -> str:
    lines = ["| locale | queries | success@5 | MRR |", "|---|---:|---:|---:|"]
    for locale, row in list(report["locales"].items()) + [("**overall**", report["overall"])]:
        lines.append(f"| {locale} | {row['queries']} | {row['success_at_5']:.2f} | "
                     f"{row['mrr']:.2f} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--misses", action="store_true", help="list every query that missed")
    parser.add_argument("--locale", action="append", help="only these locales")
    args = parser.parse_args()
    app = demo_app()
    with app.app_context():
        report = evaluate(args.locale)
    print(table(report))
    if args.misses or report["misses"]:
        print(f"\n{len(report['misses'])} queries without a right answer in the top five:")
        for locale, text, expected, rank, top in report["misses"]:
            print(f"  [{locale}] {text!r} wants {'/'.join(expected)}; first right at {rank}; "
                  f"top: {top if args.misses else [name for name, _codes in top]}")


if __name__ == "__main__":
    main()
