"""The shape of content/dialogue.yaml and what `content check` says of it; the code that
reads a conversation with it is content/dialogue.py."""

from __future__ import annotations

import re

from pydantic import Field

from content.normalize import fold, tokens
from content.recall import DOCUMENT_KINDS
from content.schema import Strict

DIALOGUE_FILE = "dialogue.yaml"


class Subject(Strict):
    say: str = Field(min_length=1)
    also: list[str] = []
    topics: list[str] = []


class Aspect(Strict):
    id: str = Field(min_length=1)
    say: str = Field(min_length=1)
    phrases: list[str] = Field(min_length=1)
    within: str | None = None  # a wider aspect whose entries answer this one too (copies: dossier)
    # Words an answer must hold to tell this aspect of a document named by its number ("Kế hoạch 127
    # do ai ký": an entry about KH 127 that says no "ký" does not say who signed it).
    told_by: list[str] = []


class Corrections(Strict):
    """How a message says it corrects the last question ("à không, ý em là giấy khen cơ"): the
    last aspect is then asked again of the award it names (content/recall.py; compared folded)."""

    # A denial opening the message, alone or after one of `leads`: "à không, ...", "không phải, ..."...
    leads: list[str] = ["à", "à mà", "dạ", "ồ", "ơi", "ah"]
    denials: list[str] = ["không", "ko", "k"]
    # ...unless the next word begins with one of these: "không biết", "không nhớ" open a question.
    not_after_denial: list[str] = ["biết", "nhớ", "rõ", "hiểu", "cần", "được", "có"]
    # Anywhere in the message: "nhầm, ...", "ý em là ...", "BK TTg mới đúng".
    phrases: list[str] = ["nhầm", "mới đúng", "chứ không phải",
                          "ý em là", "ý mình là", "ý tôi là", "ý anh là", "ý chị là", "ý e là",
                          "ý em hỏi", "ý mình hỏi", "ý tôi hỏi", "ý anh hỏi", "ý chị hỏi", "ý e hỏi"]
    # One of `askers`, and one of `endings` closing the message: "em hỏi BK VKSTC chứ".
    askers: list[str] = ["em hỏi", "mình hỏi", "tôi hỏi", "e hỏi",
                         "em muốn hỏi", "mình muốn hỏi", "tôi muốn hỏi", "e muốn hỏi"]
    endings: list[str] = ["cơ", "chứ"]


class PointingBack(Strict):
    """Words pointing back at what the last answers were about (content/recall.py; compared
    folded): one of the things, then one of its words."""

    # "cái kia", "mức trước": the subject before the last one.
    earlier_things: list[str] = ["cái", "mức", "hình thức", "loại", "mức khen", "danh hiệu", "chỉ thị", "kế hoạch",
                                 "phong trào", "kh", "ct", "cái kh", "cái kế hoạch", "cái chỉ thị", "cái ct",
                                 "bằng khen", "cái bằng khen", "huân chương", "cái huân chương", "nghị quyết",
                                 "cái nghị quyết", "thông tư", "cái thông tư"]
    earlier_words: list[str] = ["kia", "trước", "trước đó", "trước nữa", "lúc nãy", "hồi nãy", "ban nãy"]
    # "cái đầu tiên", "chỉ thị lúc đầu": the first subject of those remembered (content/recall.py RECENT).
    first_words: list[str] = ["đầu tiên", "lúc đầu", "ban đầu", "hồi đầu", "ở câu đầu", "câu đầu", "câu đầu tiên"]
    # ...unless one of these follows: "cái đầu tiên trong số đó", "cái đầu tiên của danh sách" is the
    # first of a list the last answer gave.
    first_not_before: list[str] = ["trong", "của"]
    # Said between a thing and its word: "cái mức em hỏi trước đó", "phong trào em hỏi lúc đầu".
    asked_words: list[str] = ["em hỏi", "mình hỏi", "tôi hỏi", "e hỏi", "em đã hỏi", "mình đã hỏi",
                              "tôi đã hỏi", "đã hỏi", "hỏi", "em nhắc", "nhắc"]
    # "mức đó", "hình thức này": the last one.
    last_things: list[str] = ["mức khen", "hình thức khen thưởng", "hình thức khen", "hình thức", "mức",
                              "loại khen", "loại", "danh hiệu", "phong trào"]
    last_words: list[str] = ["đó", "này", "ấy", "trên"]
    # "kế hoạch đó", "văn bản trên": a document the last answer named, of that kind (`documents`)
    # or of any kind (`any_documents`).
    documents: list[str] = ["kế hoạch", "thông tư", "nghị quyết", "chỉ thị"]
    any_documents: list[str] = ["văn bản", "quy định"]
    document_words: list[str] = ["đó", "này", "trên", "ấy", "kia", "nêu trong đó", "nêu ở trên", "nêu trên", "vừa nêu",
                                 "được nêu", "nhắc trong đó", "nhắc tới trong đó", "được nhắc", "vừa nhắc", "trong đó"]
    # "cái thứ hai", "hình thức đầu tiên trong số đó", "mục cuối cùng ở trên": the award or plan the
    # last answer listed at that place (its list's lines, in order). A first (`first_words`) is the
    # list's only when one of `of_list` follows; alone it is the first subject asked.
    # "nội dung đó nằm trong kế hoạch nào", "cái này theo văn bản nào": where the last answer comes from
    # (its source, which every answer shows), asked in a short message naming no award or document.
    source_asked: list[str] = ["nằm trong kế hoạch nào", "nằm trong văn bản nào", "theo kế hoạch nào",
                               "theo văn bản nào", "trong văn bản nào", "trong kế hoạch nào", "thuộc kế hoạch nào",
                               "thuộc văn bản nào", "trích từ đâu", "lấy từ đâu", "nguồn ở đâu", "nguồn nào",
                               "ở kế hoạch nào", "ở văn bản nào"]
    list_things: list[str] = ["cái", "mục", "ý", "hình thức", "hình thức khen", "loại", "mức", "mức khen", "danh hiệu"]
    ordinals: dict[str, int] = {"đầu tiên": 1, "thứ nhất": 1, "thứ 1": 1, "thứ hai": 2, "thứ 2": 2, "thứ ba": 3,
                                "thứ 3": 3, "thứ tư": 4, "thứ 4": 4, "thứ năm": 5, "thứ 5": 5, "cuối cùng": -1,
                                "cuối": -1, "cao nhất": 1, "thấp nhất": -1}
    of_list: list[str] = ["trong số đó", "trong đó", "ở trên", "kể trên", "nêu trên", "vừa nêu", "vừa kể",
                          "trong danh sách", "của danh sách", "vừa rồi"]
    # "đơn vị đó", "bên đó", "vụ đó": the body (an office, a department, a council) the last answer
    # named first; each body by the name it is asked of, with the other ways answers write it.
    body_things: list[str] = ["đơn vị", "bên", "vụ", "cơ quan", "bộ phận", "phòng", "nơi", "chỗ", "ban", "hội đồng"]
    bodies: dict[str, list[str]] = {
        "Văn phòng VKSND tỉnh": ["Văn phòng Viện kiểm sát nhân dân tỉnh", "Văn phòng VKS tỉnh"],
        "Vụ Thi đua - Khen thưởng": ["Vụ Thi đua khen thưởng", "Vụ TĐKT"],
        "Hội đồng Thi đua - Khen thưởng": ["Hội đồng Thi đua khen thưởng", "Hội đồng TĐKT"],
        "Tổ tuyên truyền": []}


class DocumentSetting(Strict):
    """A question naming a document as where to look ("chủ đề thi đua trong kế hoạch thực hiện
    Chỉ thị 19", "theo KH 515 thì Văn phòng làm gì") asks about something in that document
    (content/document_rules.py `without_setting`; compared folded): one of `before`, one of `documents`,
    then the words of its name (`name_words`, and any word with a digit: "19/ct-ttg", "515")."""

    before: list[str] = ["trong", "theo", "của", "tại", "ở", "thuộc", "khi thực hiện", "trong thực hiện",
                         "trong tổ chức thực hiện", "trong quá trình thực hiện", "để thực hiện"]
    documents: list[str] = ["kế hoạch", "kh", "chỉ thị", "ct", "văn bản", "thông tư", "tt"]
    name_words: list[str] = ["kế", "hoạch", "kh", "chỉ", "thị", "ct", "thực", "hiện", "số", "của", "vksnd", "vks",
                             "vkstc", "tối", "cao", "tỉnh", "tây", "ninh", "viện", "kiểm", "sát", "nhân", "dân",
                             "ngành", "ttg", "hđtđkt", "văn", "bản", "thông", "tư", "tt", "trung", "ương", "tw",
                             "thủ", "tướng", "chính", "phủ"]
    # ...or the document said as what says something: "về cải cách thủ tục, KH thực hiện CT19 yêu cầu gì".
    says: list[str] = ["yêu cầu", "quy định", "nói", "nêu", "đề ra", "đặt ra", "hướng dẫn", "đề cập", "có yêu cầu",
                       "có quy định", "có nói", "có nêu", "có đề cập"]


class DialogueFile(Strict):
    subjects: list[Subject] = []
    aspects: list[Aspect] = []
    openers: list[str] = []
    closers: list[str] = []
    clause_openers: list[str] = []
    comma_phrases: list[str] = []
    joined_words: list[str] = []
    references: list[str] = []
    question_words: list[str] = []
    final_question_words: list[str] = []
    weak_question_words: list[str] = []
    asking_statements: list[str] = []
    negations: list[str] = []
    never_words: list[str] = []
    story_references: list[str] = []
    not_story_references: list[str] = []
    final_particles: list[str] = []
    features: dict[str, list[str]] = {}
    corrections: Corrections = Corrections()
    pointing_back: PointingBack = PointingBack()
    document_setting: DocumentSetting = DocumentSetting()


def problems(data: DialogueFile, topic_ids: set[str]) -> list[str]:
    out = []
    seen = set()
    for a in data.aspects:
        if a.id in seen:
            out.append(f"aspects: {a.id}: duplicate id")
        seen.add(a.id)
    out.extend(f"aspects: {a.id}: within unknown aspect {a.within!r}" for a in data.aspects
               if a.within is not None and a.within not in seen)
    for s in data.subjects:
        out.extend(f"subjects: {s.say}: unknown topic {t!r}" for t in s.topics if t not in topic_ids)
    for name, words in data.features.items():
        out.extend(f"features: {name}: {w!r} has no words" for w in words if not tokens(w))
    for name in ("openers", "closers", "clause_openers", "references", "question_words", "final_question_words",
                 "final_particles", "story_references", "not_story_references", "weak_question_words",
                 "asking_statements", "negations", "never_words"):
        out.extend(f"{name}: {w!r} has no words" for w in getattr(data, name) if not tokens(w))
    for name, written in data.pointing_back.bodies.items():
        out.extend(f"pointing_back.bodies: {name}: {w!r} has no words" for w in [name, *written] if not tokens(w))
    for part, fields in (("corrections", Corrections.model_fields), ("pointing_back", PointingBack.model_fields),
                         ("document_setting", DocumentSetting.model_fields)):
        for name in fields:
            out.extend(f"{part}.{name}: {w!r} has no words" for w in getattr(getattr(data, part), name)
                       if not tokens(w))
    out.extend(f"comma_phrases: {w!r} has no comma between two words" for w in data.comma_phrases
               if not re.search(r"\w\s*,\s*\w", w))
    out.extend(f"joined_words: {w!r} is not a word of two syllables" for w in data.joined_words
               if len(tokens(w)) != 2)
    kinds = ", ".join(sorted(DOCUMENT_KINDS))
    out.extend(f"pointing_back.documents: {w!r} is not a kind of document the bot recognises ({kinds})"
               for w in data.pointing_back.documents if tokens(w) and fold(w) not in DOCUMENT_KINDS)
    return out
