from content.matcher import Analyzer
from content.normalize import fold, strip_diacritics, tokens
from content.schema import SynonymFile


def test_fold_removes_diacritics_and_d_stroke():
    assert fold("Hồ sơ đề nghị Bằng khen Thủ tướng") == "ho so de nghi bang khen thu tuong"
    assert fold("ĐỒNG CHÍ Đặng") == "dong chi dang"
    assert strip_diacritics("Huân chương Lao động") == "Huan chuong Lao dong"


def test_fold_handles_composed_and_decomposed_input():
    decomposed = "ho\u0302\u0300 so\u031b"  # "hồ sơ" typed with combining marks
    assert fold(decomposed) == fold("hồ sơ") == "ho so"


def test_fold_drops_punctuation_but_keeps_document_numbers():
    assert fold("Thông tư 01/2019/TT-VKSTC, Điều 48!") == "thong tu 01/2019/tt-vkstc dieu 48"
    assert fold("<b>xin</b> chào???") == "b xin b chao"
    assert tokens("COVID-19") == ["covid-19"]


def _analyzer() -> Analyzer:
    return Analyzer(SynonymFile(
        abbreviations={"bk": "bằng khen", "ttg": "thủ tướng chính phủ", "hcld": "huân chương lao động",
                       "tt": "thông tư", "vkstc": "viện kiểm sát nhân dân tối cao"},
        synonyms=[["mấy bộ", "bao nhiêu bộ", "số bộ"], ["thủ tướng chính phủ", "thủ tướng"]],
    ))


def test_abbreviations_expand_to_full_words():
    an = _analyzer()
    assert an.analyze("BK TTg") == ["bang", "khen", "thu", "tuong", "chinh", "phu"]
    assert an.analyze("HCLĐ") == ["huan", "chuong", "lao", "dong"]


def test_synonyms_rewrite_to_the_canonical_phrase():
    an = _analyzer()
    assert an.analyze("bao nhiêu bộ") == an.analyze("mấy bộ") == ["may", "bo"]
    assert an.analyze("bằng khen thủ tướng") == an.analyze("bằng khen thủ tướng chính phủ")


def test_document_numbers_are_kept_whole_and_split_into_parts():
    out = _analyzer().analyze("TT 01/2019/TT-VKSTC")
    assert "01/2019/tt-vkstc" in out
    assert {"1", "2019", "thong", "tu", "toi", "cao"} <= set(out)


def test_leading_zeros_do_not_matter():
    an = _analyzer()
    assert an.analyze("04 bộ") == an.analyze("4 bộ")


def fixed(an: Analyzer, text: str) -> list[str]:
    return an.analyze_query(text)[0]


def test_typos_are_corrected_against_the_vocabulary_only():
    an = _analyzer()
    an.learn({"huan": 3, "chuong": 3, "thuong": 9, "khen": 9, "tieu": 4, "chuan": 4, "dinh": 5, "dan": 2,
              "tuong": 3})
    assert fixed(an, "huan chuogn") == ["huan", "chuong"]  # swapped letters
    assert fixed(an, "tieu chaun") == ["tieu", "chuan"]
    assert fixed(an, "tham dih") == ["tham", "dinh"]  # a dropped letter in a short syllable
    assert an.analyze_query("thu tuog")[1] == {"tuong"}
    # Another first letter makes another word; far-off words stay as typed.
    assert fixed(an, "hieu") == ["hieu"]
    assert fixed(an, "pho bo") == ["pho", "bo"]
    assert fixed(an, "passport") == ["passport"]


def test_final_i_and_y_are_the_same():
    an = _analyzer()
    assert an.analyze("người ký") == an.analyze("nguoi ki")
    assert an.analyze("Tây Ninh") == ["tay", "ninh"]  # a vowel before y: unchanged


def test_uncovered_terms_become_one_unknown_word():
    an = Analyzer(SynonymFile(not_covered=["cờ thi đua", "lao động tiên tiến"]))
    assert an.analyze("tiêu chuẩn cờ thi đua") == ["tieu", "chuan", "~co-thi-dua"]
    assert an.uncovered["~co-thi-dua"] == 3
    assert an.analyze("thi đua") == ["thi", "dua"]


def test_uncovered_terms_yield_to_what_the_diacritics_say():
    an = Analyzer(SynonymFile(not_covered=["cờ thi đua", "kỷ niệm chương"]))
    # "có thi đua" folds like "cờ thi đua", but its diacritics say otherwise.
    assert an.analyze_query("đơn vị có thi đua tốt")[0] == ["don", "vi", "co", "thi", "dua", "tot"]
    # Unaccented, or accented as the term: still the uncovered term.
    assert an.analyze_query("don vi co thi dua")[0] == ["don", "vi", "~co-thi-dua"]
    assert an.analyze_query("tiêu chuẩn cờ thi đua")[0] == ["tieu", "chuan", "~co-thi-dua"]
    assert an.analyze_query("kỉ niệm chương")[0] == ["~ki-niem-chuong"]  # "kỉ" and "kỷ" are one word


def test_syllable_check_tells_slips_from_real_words():
    from content.syllables import is_syllable

    for word in ["ben", "nhiet", "khuyen", "nguoi", "quoc", "xuat", "tuyen", "chuong", "khuya"]:
        assert is_syllable(word), word
    for word in ["tuog", "dih", "chaun", "tine", "chuonh", "hcld", "vaccine"]:
        assert not is_syllable(word), word


def test_real_syllables_are_repaired_only_with_context():
    an = _analyzer()
    an.learn({"huan": 3, "chuong": 3, "ben": 0, "bien": 5, "phap": 4}, pairs={("huan", "chuong"), ("bien", "phap")})
    assert fixed(an, "huan chuon") == ["huan", "chuong"]  # "huân chươn": the neighbour shows the slip
    assert fixed(an, "chuon") == ["chuon"]  # alone, it may be a word the content lacks
    assert fixed(an, "ben tinh") == ["ben", "tinh"]  # "bên tỉnh" stays


def test_fillers_are_dropped_only_where_unambiguous():
    from content.lexicon import drop_fillers

    assert drop_fillers("Bên mình bắt đầu khi nào ạ").split() == ["bắt", "đầu", "khi", "nào"]
    assert drop_fillers("anh em được khen gì").split() == ["được", "khen", "gì"]
    assert drop_fillers("hồ sơ nộp mấy bộ nữa nè").split() == ["hồ", "sơ", "nộp", "mấy", "bộ"]
    # Without diacritics "minh" may be "minh bạch" and "anh" may be "ảnh": kept.
    assert drop_fillers("cong khai minh bach anh huong").split() == ["cong", "khai", "minh", "bach", "anh", "huong"]


def test_long_messages_are_also_matched_by_their_question_part():
    from content.loader import load
    from content.matcher import Matcher
    from tests.conftest import REAL_CONTENT

    m = Matcher(load(REAL_CONTENT))
    parts = m.windows("Chị ơi, sếp bảo em viết báo cáo có nhắc tới mục tiêu kép mà em không rõ lắm, "
                      "cho em hỏi mục tiêu kép gồm những gì vậy?")
    assert parts[1].startswith("mục tiêu kép gồm")
    assert m.windows("Hồ sơ Huân chương Lao động gồm những gì?") == ["Hồ sơ Huân chương Lao động gồm những gì?"]


def test_uncovered_terms_win_over_overlapping_synonyms():
    an = Analyzer(SynonymFile(synonyms=[["đề nghị huân chương", "xin huân chương"]],
                              not_covered=["huân chương bảo vệ tổ quốc"]))
    assert an.analyze("xin huân chương bảo vệ tổ quốc") == ["xin", "~huan-chuong-bao-ve-to-quoc"]
    assert an.analyze("xin huân chương lao động") == ["de", "nghi", "huan", "chuong", "lao", "dong"]


def test_everyday_words_do_not_outweigh_the_topic():
    from content.loader import load
    from content.matcher import Matcher
    from tests.conftest import REAL_CONTENT

    m = Matcher(load(REAL_CONTENT))
    # "lên", "bên" are rare in the content but say nothing of the topic...
    r = m.match("hs khen thuong nop len thi ben nao tham dinh")
    assert r.kind == "answer" and r.entry.id == "tham-dinh-ho-so"
    assert m.weight("len") <= m.common_idf < m.weight("nop")
    # ...while words of another subject still count in full.
    assert m.match("ho so dang ky ket hon nop len dau").kind == "fallback"


def test_numbered_sections_are_one_token_next_to_their_heading():
    an = _analyzer()
    assert an.analyze("tiêu chí 2.5")[-1] == "§tieu-chi-2.5"
    assert an.analyze("biện pháp 4")[-1] == "§giai-phap-4"  # the plan's headings, however named
    assert an.analyze("Mục IV.4")[-1] == "§muc-iv.4"
    assert not [t for t in an.analyze("mục tiêu kép, 2 mục tiêu") if t.startswith("§")]


def test_a_section_is_found_by_its_number_and_a_missing_one_is_not_invented():
    from content.loader import load
    from content.matcher import Matcher
    from tests.conftest import REAL_CONTENT

    m = Matcher(load(REAL_CONTENT))
    assert m.match("giai phap 7 tap trung khen thuong nhung ai").entry.id == "doi-tuong-khen-thuong"
    assert m.match("tiêu chí 2.5 là gì").entry.id == "tc-tuan-thu-nghiep-vu"
    assert m.match("tieu chi 9 la gi").kind == "fallback"


def test_syllables_typed_together_are_split_where_the_content_has_them_side_by_side():
    an = _analyzer()
    an.learn({"bang": 2, "khen": 5, "thu": 3, "tuong": 3, "chinh": 2, "phu": 2, "ho": 4, "so": 4},
             pairs={("bang", "khen"), ("thu", "tuong"), ("tuong", "chinh"), ("chinh", "phu"), ("ho", "so")})
    toks, fixed = an.analyze_query("bangkhen thutuongchinhphu")
    assert toks == ["bang", "khen", "thu", "tuong", "chinh", "phu"] and "khen" in fixed
    assert an.analyze_query("sokhen")[0] == ["sokhen"]  # never side by side in the content: left alone


def test_chat_words_are_not_taken_for_typos():
    an = _analyzer()
    an.learn({"cao": 5, "ban": 3}, pairs={("cao", "ban")})
    assert an.analyze_query("chao ban")[0] == ["chao", "ban"]  # "chào bạn", not "cao ban"


def test_compounds_keep_a_phrase_apart_from_its_words():
    an = Analyzer(SynonymFile(compounds=["mục đích"]))
    assert an.analyze("mục đích của phong trào chống dịch") == ["muc_dich", "cua", "phong", "trao", "chong", "dich"]


def test_a_comparison_is_answered_from_both_sides():
    from content.loader import load
    from content.matcher import Matcher
    from tests.conftest import REAL_CONTENT

    m = Matcher(load(REAL_CONTENT))
    r = m.match("HCLĐ với BK TTg khác nhau thế nào về tiêu chuẩn?")
    assert (r.kind, r.entry.id, [e.id for e in r.also]) == ("answer", "tieu-chuan-hcld", ["tieu-chuan-bk-ttg"])
    # The aspect may sit inside the longer side.
    r = m.match("BK TTg va BK VKSTC nop ho so khac nhau the nao")
    assert (r.entry.id, [e.id for e in r.also]) == ("ho-so-bk-ttg", ["ho-so-bk-vkstc"])
    # "khác" as "other" is no comparison.
    assert not m.match("lãnh đạo đơn vị khác phải làm gì").also


def test_the_shared_setting_and_the_19_of_covid_19_carry_no_weight():
    an = Analyzer(SynonymFile(context=["tây ninh"], abbreviations={"ng": "người"}))
    assert an.analyze("VKS tỉnh Tây Ninh") == ["vks", "tinh"]
    assert an.analyze("covid-19") == ["covid-19", "covid"]
    assert "19" in an.analyze("19/CT-TTg")
    assert an.analyze("ng ký") == ["nguoi", "ki"]


def test_counts_are_light_but_unknown_documents_and_years_are_not():
    from content.loader import load
    from content.matcher import Matcher
    from tests.conftest import REAL_CONTENT

    m = Matcher(load(REAL_CONTENT))
    for q in ("đề nghị giấy khen cho 10 đồng chí cần mấy bộ hồ sơ", "giấy khen cần mấy bộ hồ sơ (25)",
              "giấy khen năm 2021 cần mấy bộ hồ sơ"):
        r = m.match(q)
        assert (r.kind, r.entry and r.entry.id) == ("answer", "ho-so-giay-khen"), q
    for q in ("kế hoạch số 200 của vkstc", "thông tư 05/2022 quy định gì",
              "Luật Thi đua, khen thưởng 2022 có hiệu lực từ ngày nào"):
        assert m.match(q).kind == "fallback", q


def test_a_generic_last_clause_does_not_override_the_whole_question():
    from content.loader import load
    from content.matcher import Matcher
    from tests.conftest import REAL_CONTENT

    m = Matcher(load(REAL_CONTENT))
    r = m.match("Nâng cao chất lượng đội ngũ công chức làm công tác thi đua, khen thưởng bằng cách nào?")
    assert (r.kind, r.entry.id) == ("answer", "doi-ngu-lam-tdkt")
    # A part introduced by "cho em hỏi" still stands on its own after a long story.
    r = m.match("Anh chị ơi, đơn vị em đang làm hồ sơ đề nghị khen cho 2 đồng chí đi hỗ trợ khu cách ly hồi "
                "tháng 9, lãnh đạo định đề nghị Bằng khen của Thủ tướng Chính phủ. Cho em hỏi phải nộp bao "
                "nhiêu bộ, bản chính hay bản photo ạ?")
    assert r.kind == "answer" and "04 bộ" in r.entry.answer


def test_an_answered_whole_is_not_overruled_by_a_part_that_lost_the_subject():
    from content.loader import load
    from content.matcher import Matcher
    from tests.conftest import REAL_CONTENT

    m = Matcher(load(REAL_CONTENT))
    r = m.match("Tôi muốn đề nghị Huân chương Lao động cho một tập thể. Hồ sơ gồm những gì và nộp mấy bộ?")
    assert (r.kind, r.entry.id) == ("answer", "ho-so-hcld")


def test_words_of_an_uncovered_term_are_not_repaired_into_content_words():
    an = Analyzer(SynonymFile(not_covered=["anh hùng lao động"]))
    an.learn({"anh": 3, "huong": 3, "lao": 4, "dong": 4}, pairs={("anh", "huong")})
    assert an.analyze_query("danh hieu anh hung lao dong")[0] == ["danh", "hieu", "~anh-hung-lao-dong"]
    assert an.analyze_query("anh hung toi")[0][:2] == ["anh", "huong"]  # elsewhere the slip is still repaired
