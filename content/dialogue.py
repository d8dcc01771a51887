"""Conversation-level reading of a message: follow-ups that lean on the
previous answer, and several questions in one message.

What a question is about is two things (content/dialogue.yaml): its subject
(an award form or a plan) and its aspect (dossier, copies, standard, who,
when...). After an answer the conversation keeps both; a follow-up that
lacks one ("còn giấy khen thì sao", "vậy mấy bộ", "nộp cho ai") is asked
again with the missing part filled in, while a question that names both is
read on its own. A message with several questions is split and each part
read in turn, a later part taking its subject from an earlier one.
"""

from __future__ import annotations

import contextvars
import re
import unicodedata
from dataclasses import dataclass, field

from content import recall
from content.analysis import names_uncovered
from content.dialogue_file import DIALOGUE_FILE, DialogueFile, problems  # noqa: F401 - the file's shape, as before
from content.document_rules import DocumentRules, numbers_named
from content.match_result import MatchResult
from content.matcher import Matcher
from content.normalize import fold, fold_aligned, tokens
from content.out_of_scope import OutOfScope
from content.questions import Questions, phrase_re, written_re
from content.ranker_gate import RankerGate
from content.ranker_gate import features as gate_features
from content.ranker_gate import load as load_gate
from content.schema import Entry
from content.sentences import Sentences
from content.smalltalk import only_chat

MAX_PARTS = 3  # questions answered from one message
MAX_FOLLOW_UP_WORDS = 8  # a follow-up is short; a longer message is a question of its own
ELLIPTICAL_WORDS = 6  # a later question this short, naming nothing, leans on the one before it
# "tiêu chuẩn và hồ sơ HCLĐ", "tiêu chuẩn của bằng khen này với số bộ hồ sơ": the words joining two ways of asking
JOINED_ASPECTS = re.compile(r"\s*(?:,|;|\b(?:và|va|với|voi|cùng|cung|kèm|kem)\b)\s*", re.IGNORECASE)
# A question pointing back at its story ("việc này có được tính không") with at most this many words
# is not read on its own: it says nothing but "this".
BARE_POINTING_WORDS = 12
# A phrase a message quotes: "mục tiêu kép", “phòng là cơ bản”, 'chung sức đồng lòng'.
QUOTED = re.compile(r"[\"“”'‘’«»]\s*([^\"“”'‘’«»]{3,80}?)\s*[\"“”'‘’«»]")
# A whole long message answered with this score (on the matcher's scale, where 0.6 answers)
# is taken as it is: its story and its question agree.
CLEAR_ANSWER = 0.75
CLEARLY_CLOSER = 0.1  # ...unless its question alone scores this much more
# What the reading decided that its result does not show (a part overruled, a story piece left out),
# collected for `ask --explain` (content/explain.py) while it reads; None otherwise.
NOTES: contextvars.ContextVar[list[str] | None] = contextvars.ContextVar("dialogue_notes", default=None)


def _note(text: str) -> None:
    notes = NOTES.get()
    if notes is not None:
        notes.append(text)


# When the learned ranker's first entry replaces a lexical answer won by a hair (RankerRule);
# fitted leave-one-set-out by `benchmarks/qa_eval.py --fit`.
RANKER_SWITCH = 0.2
RANKER_SWITCH_GAP = 0.06


@dataclass(frozen=True)
class RankerRule:
    """When the learned ranker's first entry answers: for a message the lexical engine did not
    answer, the fitted gate says (content/ranker_gate.py, content/ranker_gate.yaml); for one it
    answered by a hair, its best candidate leading the next by at most `switch_gap`, the ranker's
    own first entry replaces the answer when the ranker gives it at least `switch`.
    Fitted by `benchmarks/qa_eval.py --fit`."""

    gate: RankerGate = field(default_factory=load_gate)
    switch: float = RANKER_SWITCH
    switch_gap: float = RANKER_SWITCH_GAP

    def takes(self, figures: tuple[float, ...]) -> bool:
        return self.gate.takes(figures)

    def switches(self, prob: float, gap: float) -> bool:
        return gap <= self.switch_gap and prob >= self.switch

    def decides(self, asked: tuple) -> bool:
        """What the rule says to one logged consultation (ranker_log), for fitting."""
        return self.takes(asked[1]) if asked[0] == "takes" else self.switches(*asked[1:])


@dataclass(frozen=True)
class Frame:
    subject: int | None  # index into the file's subjects
    aspect: str | None
    follow_up: bool  # opens with "còn", "thế còn", or ends with "thì sao"
    core: str  # the message without those words
    refers: bool = False  # points back at what was just said ("cái đó", "nó")


@dataclass
class Reading:
    """What a message asked, part by part, and what the conversation is now about."""

    parts: list[tuple[str, MatchResult]]
    about: dict | None
    # The part as it was matched, when the previous answer filled a gap in it.
    filled: list[str | None] = field(default_factory=list)


class Dialogue(DocumentRules):
    def __init__(self, matcher: Matcher, data: DialogueFile):
        self.matcher = matcher
        self.data = data
        stop = matcher.lexicon.stopwords

        def key(text: str) -> tuple[str, ...]:
            return tuple(t for t in matcher.analyzer.analyze(text) if t not in stop)

        self.joined = frozenset(k for w in data.joined_words if len(k := key(w)) == 2)
        # Longest phrase first, so that "bằng khen thủ tướng" wins over a shorter one inside it.
        self.subjects = sorted(((key(p), i) for i, s in enumerate(data.subjects) for p in [s.say, *s.also]
                                if key(p)), key=lambda x: -len(x[0]))
        self.aspects = [(a.id, [key(p) for p in a.phrases if key(p)]) for a in data.aspects]
        self.aspect_say = {a.id: a.say for a in data.aspects}
        self.within = {a.id: a.within for a in data.aspects if a.within}
        self.topic_subject = {t: i for i, s in enumerate(data.subjects) for t in s.topics}
        self.openers = phrase_re(data.openers, matcher.lexicon.spellings)
        self.closers = phrase_re(data.closers, matcher.lexicon.spellings)
        self.references = phrase_re(data.references)
        self.story_references = phrase_re(data.story_references, matcher.lexicon.spellings)
        self.not_story_references = phrase_re(data.not_story_references, matcher.lexicon.spellings)
        self.features = [(name, pattern) for name, words in data.features.items()
                         if (pattern := phrase_re(words)) is not None]
        kb = matcher.kb
        self.questions = Questions(
            data.question_words, matcher.lexicon.asking, matcher.lexicon.spellings,
            (data.final_question_words, data.final_particles), data.weak_question_words, data.asking_statements,
            (data.negations, data.never_words),
            endings=kb.report_form.question_endings if kb.report_form is not None else [],
            openings=kb.lexicon.asking_phrases if kb.lexicon is not None else [])
        self.ranker_rule: RankerRule | None = RankerRule()
        self.ranker_log: list | None = None  # what RankerRule.takes was asked, for fitting
        matcher.asks = self.questions.is_question
        self.sentences = Sentences(self.questions, data.clause_openers, kb.entries, matcher.lexicon.continuation,
                                   matcher.lexicon.spellings, data.comma_phrases)
        # What the Office marked "không thuộc phạm vi", and content/out_of_scope.yaml: a message nearly the
        # same as one of them is declined whatever the engines read (the ranker also learns them as a class).
        self.out_of_scope = OutOfScope((*kb.out_of_scope, *kb.outside), matcher.lexicon)
        self.recall_words = recall.RecallWords.of(data.corrections, data.pointing_back)
        setting = data.document_setting
        self.setting = re.compile(rf"\b(?:(?P<before>{recall.either(setting.before)})\s+)?"
                                  rf"(?:{recall.either(setting.documents)})\b")
        self.told_by = {a.id: written_re(a.told_by) for a in data.aspects if a.told_by}
        self.setting_says = re.compile(rf"\s*(?:{recall.either(setting.says)})\b")
        self.setting_words = frozenset(fold(w) for w in setting.name_words)
        self._listed: dict[str, list[int]] = {}  # entry id -> the subjects its answer lists (`listed`)

    # --- what a text is about -------------------------------------------------------
    def _tokens(self, text: str) -> tuple[str, ...]:
        stop = self.matcher.lexicon.stopwords
        toks, _ = self.matcher.analyzer.analyze_query(text)
        return tuple(t for t in toks if t not in stop)

    def _has(self, toks: tuple[str, ...], phrase: tuple[str, ...]) -> bool:
        n = len(phrase)
        # Not from the second syllable of a word of two (dialogue.yaml joined_words): "công chức Vụ
        # Thi đua" asks no "chức vụ".
        return any(toks[i:i + n] == phrase and (i == 0 or (toks[i - 1], toks[i]) not in self.joined)
                   for i in range(len(toks) - n + 1))

    def subject_of(self, toks: tuple[str, ...]) -> int | None:
        found = self._subject_in(toks)
        if found is None and any("/" in t for t in toks):
            # "Kế hoạch 515/KH-VKS" reads "ke hoach 515/kh-vks 515 ke hoach vien kiem sat": its number
            # follows the whole symbol, so "kế hoạch 515" is there once the symbol is left out. (Only
            # then: "19/ct-ttg" names the Prime Minister's directive, where "chỉ thị 19" is the plan.)
            found = self._subject_in(tuple(t for t in toks if "/" not in t))
        return found

    def _subject_in(self, toks: tuple[str, ...]) -> int | None:
        present = set(toks)  # most phrases' first word is not there at all: no need to slide them along
        return next((i for phrase, i in self.subjects
                     if (not phrase or phrase[0] in present) and self._has(toks, phrase)), None)

    def aspect_of(self, toks: tuple[str, ...]) -> str | None:
        present = set(toks)
        return next((aid for aid, phrases in self.aspects
                     if any((not p or p[0] in present) and self._has(toks, p) for p in phrases)), None)

    def frame(self, text: str) -> Frame:
        text = unicodedata.normalize("NFC", text).strip()
        plain = fold_aligned(text)
        start, end = 0, len(text)
        follow_up = refers = False
        # An opener may follow a word of chat: "ok vậy còn giấy khen", "dạ thế còn HCLĐ".
        m = next((m for m in (self.openers.finditer(plain[:40]) if self.openers else ())
                  if not tokens(plain[:m.start()]) or only_chat(plain[:m.start()])), None)
        if m:
            start, follow_up = m.end(), True
        stripped = plain.rstrip(" ?.!")
        for m in (self.closers.finditer(stripped) if self.closers else ()):
            if m.end() == len(stripped) and m.start() >= start:
                end, follow_up = m.start(), True
        core = text[start:end].strip(" ,?.!") or text
        # "cái đó ai tặng", "hồ sơ của nó": a word pointing back at what was just said.
        if self.references:
            folded_core = fold_aligned(core)
            refs = list(self.references.finditer(folded_core))
            if refs:
                follow_up = refers = True
                for m in reversed(refs):
                    core = core[:m.start()] + core[m.end():]
                core = " ".join(core.split()) or text
        toks = self._tokens(core)
        return Frame(self.subject_of(toks), self.aspect_of(toks), follow_up, core, refers)

    def _fits(self, aspect: str | None, entry: Entry | None) -> bool:
        """Whether an entry, by its title, is about the aspect asked (or says nothing either way)."""
        if aspect is None or entry is None:
            return True
        title = self._tokens(entry.title)
        named = {aid for aid, phrases in self.aspects if any(self._has(title, p) for p in phrases)}
        return not named or aspect in named or self.within.get(aspect) in named

    def about(self, frame: Frame, entry: Entry | None, before: dict | None = None) -> dict | None:
        """What the conversation is about after `entry` answered a question framed so;
        an answer about no award or plan in particular ("ai thẩm định") keeps the one
        of `before`, the conversation so far."""
        if entry is None:
            return None
        # What the answer is about comes first: its topic's plan, else what its title names
        # ("chỉ thị 19 là gì" answered by "Chỉ thị 19/CT-TTg ..." is about the directive, not
        # the plan carrying it out), else what the question named.
        title = self._tokens(entry.title)
        subject = self.topic_subject.get(entry.topic)
        if subject is None:
            subject = self.subject_of(title)
        if subject is None:
            subject = frame.subject
        if subject is None and before and isinstance(before.get("subject"), int):
            subject = before["subject"]
        aspect = frame.aspect or self.aspect_of(title)
        return {"subject": subject, "aspect": aspect, "entry": entry.id}

    def feature_of(self, text: str) -> str | None:
        """The feature a message asks for in words ("bật nhắc hạn giúp em"): its name, or None."""
        if len(tokens(text)) > MAX_FOLLOW_UP_WORDS:
            return None  # a longer message is a question that may merely mention it
        return self.feature_named(text)

    def feature_named(self, text: str) -> str | None:
        """The feature a message names anywhere ("hạn chót nộp hồ sơ ... là ngày nào": the deadlines,
        which the Office sets and the plans do not)."""
        plain = fold(text)
        return next((name for name, pattern in self.features if pattern.search(plain)), None)

    # --- follow-ups ---------------------------------------------------------------------
    def fill(self, frame: Frame, context: dict | None) -> str | None:
        """The question with what it leaves out taken from `context`; None when nothing is missing."""
        if not context or (frame.subject is not None and frame.aspect is not None):
            return None
        if len(tokens(frame.core)) > MAX_FOLLOW_UP_WORDS and not frame.follow_up:
            return None
        subject, aspect = context.get("subject"), context.get("aspect")
        if not isinstance(subject, int) or not 0 <= subject < len(self.data.subjects):
            subject = None
        if aspect not in self.aspect_say:
            aspect = None
        if frame.subject is not None and aspect is not None:
            return f"{self.aspect_say[aspect]} {frame.core}"
        if frame.aspect is not None and subject is not None:
            # A bare aspect ("chức vụ?" after who signed) is asked as the aspect says it ("người ký").
            # So is an aspect's phrase alone, whatever the words the analyser leaves out ("chức vụ gì?").
            bare = self.matcher.terse(frame.core) or self._tokens(frame.core) in dict(self.aspects)[frame.aspect]
            asked = self.aspect_say[frame.aspect] if bare else frame.core
            return f"{asked} {self.data.subjects[subject].say}"
        if frame.subject is None and frame.aspect is None and subject is not None and (
                frame.follow_up or self._on_topic(frame.core)):
            # Neither named ("còn tập thể thì sao", "đối tượng nào được tặng"): the award or
            # plan discussed, the message itself saying what about it.
            return f"{frame.core} {self.data.subjects[subject].say}"
        return None

    def _subject_fits(self, subject: int | None, entry: Entry | None) -> bool:
        """Whether an entry may answer about `subject`: its title (or topic) names no award,
        plan or document other than that one."""
        if subject is None or entry is None:
            return True
        named = self.topic_subject.get(entry.topic)
        if named is None:
            named = self.subject_of(self._tokens(entry.title))
        return named is None or named == subject

    def _on_topic(self, text: str) -> bool:
        """Whether every word that carries meaning is one the content uses (and there is one):
        "đối tượng nào được tặng" is, "em chưa hiểu lắm" or "giá vàng hôm nay" is not."""
        lex, idf = self.matcher.lexicon, self.matcher.idf
        words = [t for t in self._tokens(text) if t not in lex.common]
        return bool(words) and all(t in idf for t in words)

    def _subject_told(self, story: str, context: dict | None) -> int | None:
        """The award or plan the story names, or failing that the one the conversation is about."""
        subject = self.subject_of(self._tokens(story))
        if subject is None and context and isinstance(context.get("subject"), int) \
                and 0 <= context["subject"] < len(self.data.subjects):
            subject = context["subject"]
        return subject

    def _points_back(self, question: str) -> bool:
        """"việc như vậy có được khen không": the question is about the story told before it
        ("được quy định như thế nào" is not: it asks how)."""
        if self.story_references is None:
            return False
        plain = fold(question)
        if self.not_story_references is not None:
            plain = self.not_story_references.sub(" ", plain)
        return bool(self.story_references.search(plain))

    def _read_focused(self, text: str, context: dict | None) -> tuple[MatchResult, dict | None, str] | None:
        """A long message read by its question, weighed above the story: the question on
        its own, completed with the award or plan the story names (or, failing that, the
        one the conversation is about) when it names none."""
        tries, alone = [], set()  # alone: the story's words without the question
        for question, story in self.sentences.focus(text):
            frame = self.frame(question)
            if frame.subject is None and names_uncovered(self._tokens(story)):
                continue  # "con em thi đỗ đại học, ..., mức bao nhiêu": the story names what is asked about
            quoted = QUOTED.findall(story)
            if frame.refers and quoted:
                # "... cứ thấy nhắc cụm "mục tiêu kép" mà ko hiểu. Nó gồm hai việc gì": what the story
                # quotes is what the question points back at.
                tries.append(f"{quoted[-1]} {frame.core}")
            if frame.subject is None:
                subject = self._subject_told(story, context)
                if subject is not None:
                    tries.append(f"{frame.core} {self.data.subjects[subject].say}")
                    if frame.aspect is not None and not names_uncovered(self._tokens(question)):
                        # "phải in ra mấy bộ vậy": the aspect in its plain words, for the
                        # words around it ("in ra") that no entry uses. Not when those words
                        # name what the content leaves out ("bao giờ tiền thưởng được chi"):
                        # they are what is asked.
                        tries.append(f"{self.aspect_say[frame.aspect]} {self.data.subjects[subject].say}")
            told = []
            if self._points_back(question):
                # "... góp tiền mua máy thở tặng khu cách ly. Việc như vậy có được tính không":
                # what was done is the question, and the story's last sentence says it.
                # Not a sentence that only asks ("Đề nghị cho biết", "Xin cho biết"): it tells nothing.
                told = [s for s in re.split(r"(?<=[.!?])\s+|\n+", story.strip())
                        if tokens(self.questions.asking.sub(" ", fold(s)))]
                if told:
                    tries += [f"{told[-1]} {question}", told[-1]]
                    alone.add(told[-1])
                    # ... or its last clause: "..., muốn trích đúng câu phương châm. Câu đó thế nào"
                    clause = [c for c in re.split(r"[,;]", told[-1]) if tokens(c)]
                    if len(clause) > 1:
                        tries += [f"{clause[-1]} {question}", clause[-1]]
                        alone.add(clause[-1])
            if not told or len(self._tokens(question)) > BARE_POINTING_WORDS:
                # A short question pointing back at the story ("kế hoạch có nhắc tới việc này không") says
                # nothing on its own: read alone, it is answered from the words around "việc này".
                tries.append(question)
        for q in dict.fromkeys(tries):
            result = self.matcher.match(q)
            if result.kind == "answer" and q in alone and not result.by_ranker \
                    and self.matcher.ranker.rank(q, 1)[0].entry_id != result.entry.id:
                # A piece of the story read without the question ("Anh là phó phòng ở VKS tỉnh,", "Lúc dịch
                # căng,") is what was done only where both sources read it so.
                _note(f"a piece of the story read alone «{q.strip()[:60]}» was left out: the lexical engine "
                      f"read {result.entry.id}, the ranker another")
                continue
            if result.kind == "answer":
                return result, self.about(self.frame(q), result.entry), q
        return None

    def read_one(self, text: str, context: dict | None, second: bool = True,
                 after_part: bool = False) -> tuple[MatchResult, dict | None, str | None]:
        """One question: its match, the context after it, and the question as filled (if it was).
        A later question of the same message reads the earlier ones as its context. `second`:
        whether a long message not answered gets the second opinion (not for the parts of a
        message asking several questions: a part told with the story of another reads it as its own).
        `after_part`: the text is a later part of a message, naming nothing, that asks about what the
        part before it did ("chỉ thị đó ban hành ngày nào, về nội dung gì"): completed from it."""
        read = self._read_one(text, context, second, after_part)
        inside = self._in_setting(text, read[0], context, second)
        if inside is not None:
            return inside, self.about(self.frame(text), inside.entry, context), None
        again = self._last_again(text, read[0], context) or self._offered_again(text, read[0], context)
        if again is not None:
            return again, self.about(self.frame(text), again.entry, context), None
        named = self._document_named(text, read[0]) or self._kind_asked(text, read[0])
        if named is not None:
            return named, self.about(self.frame(text), named.entry, context), None
        if self._untold(text, read[0]):
            return MatchResult("fallback", None, 0.0, (), read[0].normalized), context, None
        return read

    def _last_again(self, text: str, own: MatchResult, context: dict | None) -> MatchResult | None:
        """A recent answer's entry, for a message pointing at what it was about by a word of its title
        ("phương châm đó nhằm góp phần thực hiện mục tiêu gì" after "Phương châm phòng, chống dịch", "cái
        phương châm lúc nãy, vế sau nói gì" two answers later) that the lexical engine did not answer but
        ranks that entry among its first: the conversation and the engine agree, over the ranker, which
        reads no conversation."""
        if (own.kind == "answer" and not own.by_ranker) or not own.candidates or names_uncovered(self._tokens(text)):
            return None
        said = {m.group(1) for m in self.recall_words.last_word.finditer(fold(text))}
        ranked = {c.entry.id: c.entry for c in own.candidates[:3]}
        for i, entry_id in enumerate(recall.recent_entries(context)):
            entry = ranked.get(entry_id)
            # The last answer's entry must be the engine's first; an earlier one, among its first three.
            if entry is None or (i == 0 and own.candidates[0].entry.id != entry_id):
                continue
            if said & set(self._tokens(entry.title)):
                return MatchResult("answer", entry, own.score, own.candidates, own.normalized)
        return None

    def _offered_again(self, text: str, own: MatchResult, context: dict | None) -> MatchResult | None:
        """The last answer's entry, for a short follow-up naming no award or plan that the lexical
        engine reads as a choice, when that entry reads about as well as the choice's first
        ("đồng chí ấy ký với chức vụ gì" after the signer's answer): the conversation settles it."""
        if own.kind != "clarify" or not context or len(tokens(text)) > MAX_FOLLOW_UP_WORDS \
                or self.frame(text).subject is not None:
            return None
        last = recall.recent_entries(context)[:1]
        if not last:
            return None
        ranked, _ = self.matcher.rank(text, 5)
        # Among the engine's first five, about as close as the choice it would offer.
        entry = next((c.entry for c in ranked if c.entry.id == last[0]
                      and ranked[0].score - c.score <= self.matcher.thresholds.spread), None)
        return None if entry is None else MatchResult("answer", entry, own.score, own.candidates, own.normalized)

    def _read_one(self, text: str, context: dict | None, second: bool,
                  after_part: bool = False) -> tuple[MatchResult, dict | None, str | None]:
        frame = self.frame(text)
        own = self.matcher.match(text)
        if frame.core != text.strip():
            # Without its follow-up words ("thế còn tờ trình" -> "tờ trình"), which only
            # blur the question read on its own.
            bare = self.matcher.match(frame.core)
            if bare.kind == "answer" and (own.kind != "answer" or bare.score > own.score):
                own = bare
        # A long message is read by its question when its whole reading is not clearly
        # right, or when the question read alone is clearly closer to an entry.
        focused = self._read_focused(text, context)
        if focused is not None and (own.kind != "answer" or focused[0].score >= own.score + (
                0.0 if own.score < CLEAR_ANSWER else CLEARLY_CLOSER)):
            if own.kind != "answer" and second and own.candidates and focused[0].entry is not None \
                    and focused[0].entry.id != own.candidates[0].entry.id:
                # A part of the message read alone names another entry than the whole does; where both
                # sources name the whole's first entry and the gate takes it, the whole wins: "Lúc dịch căng, ...
                # họp online ... Kế hoạch có khuyến khích ... không" is not its opening clause's question.
                learned = self._ranker_opinion(text, own)
                if learned is not None and learned.entry.id == own.candidates[0].entry.id:
                    _note(f"the whole message, {learned.entry.id} (both sources' first, the gate takes it), "
                          f"overruled a part read alone «{focused[2][:60]}»: {focused[0].entry.id}")
                    return learned, self.about(frame, learned.entry, context), None
            return focused
        filled = self.fill(frame, context)
        named = frame.subject is not None or frame.aspect is not None
        # The question completed from the conversation is taken when it reads at least as
        # well as the question alone: "còn giấy khen thì sao" is far closer to an entry
        # once "hồ sơ" is added, while "thế ai thẩm định" stays the question of who
        # reviews any dossier.
        if filled is not None and (named or frame.follow_up or after_part or own.kind != "answer"):
            result = self.matcher.match(filled)
            asked = self.frame(filled)
            leans = frame.refers or (frame.aspect is not None and len(tokens(frame.core)) <= ELLIPTICAL_WORDS)
            if result.kind == "answer" and frame.subject is None and leans \
                    and not self._subject_fits(asked.subject, result.entry):
                # "chỉ thị đó ai ký" after Chỉ thị 19: the signer of another text is no answer;
                # the content has none about this one, and the reply says so (`filled`).
                return MatchResult("fallback", None, 0.0, (), result.normalized), context, filled
            if result.kind == "answer" and self._fits(asked.aspect, result.entry) \
                    and (own.kind != "answer" or frame.refers or after_part or result.score >= own.score):
                return result, self.about(asked, result.entry), filled
        told = self._of_document_told(text, frame, own, context)
        if told is not None:
            return told
        if own.kind == "answer":
            switched = self._ranker_switch(text, own) if second else None
            if switched is not None:
                return switched, self.about(frame, switched.entry, context), None
            return own, self.about(frame, own.entry, context), None
        opinion = self._second_opinion(text, own) if second else None
        if opinion is not None:
            return opinion, self.about(frame, opinion.entry, context), None
        # Like the second opinion, not for the parts of a message asking several questions.
        learned = self._ranker_opinion(text, own) if second else None
        if learned is not None:
            return learned, self.about(frame, learned.entry, context), None
        # Not answered: the conversation is about nothing any more, so a subject from before
        # this question does not complete the next one; but the award or plan the question named
        # is what "nó" means next ("còn HCLĐ?" unanswered, then "tiêu chuẩn của nó?").
        if frame.subject is not None:
            return own, {"subject": frame.subject, "aspect": frame.aspect}, None
        return own, None if own.kind == "fallback" else context, None

    def _of_document_told(self, text: str, frame: Frame, own: MatchResult,
                          context: dict | None) -> tuple[MatchResult, dict | None, str] | None:
        """A short follow-up naming no award, plan, document or aspect that the engine reads as a choice
        ("sửa đổi bởi?" after "Thủ tục ... theo thông tư nào", answered by Thông tư 01/2019), asked of the
        document the last answer told, where that reads as one of the entries offered: the conversation
        settles the choice."""
        docs = recall.told_documents(context)
        if own.kind != "clarify" or frame.subject is not None or frame.aspect is not None or not docs \
                or recall.documents(text) or len(tokens(text)) > MAX_FOLLOW_UP_WORDS \
                or names_uncovered(self._tokens(text)):
            return None
        asked = f"{frame.core} {docs[0][1]}"
        result = self.matcher.match(asked)
        if result.kind != "answer" or result.entry.id not in {c.entry.id for c in own.candidates[:3]}:
            return None
        return result, self.about(self.frame(asked), result.entry, context), asked

    def _second_opinion(self, text: str, own: MatchResult) -> MatchResult | None:
        """A long message the engine did not answer, read by BM25 over the entries' whole
        text, its question part weighed above the story (content/second_opinion.py)."""
        focus = self.sentences.focus(text)
        question, story = focus[0] if focus else (text, "")
        if self._points_back(question):
            question, story = text, ""  # "việc này có được tính không": the story is what is asked about
        favoured = own.candidates[0].entry if own.candidates else None
        opinion = self.matcher.second.opinion(question, story, favoured)
        if opinion is None:
            return None
        return MatchResult("answer", opinion.entry, own.score, own.candidates, own.normalized)

    def _ranker_opinion(self, text: str, own: MatchResult) -> MatchResult | None:
        """The learned ranker's pick (content/ranker.py) for a message the lexical engine
        did not answer, taken where the fitted gate says so (content/ranker_gate.py: both sources'
        figures, fitted leave-one-set-out by benchmarks/qa_eval.py)."""
        rule = self.ranker_rule
        consulted = self.gate_figures(text, own) if rule is not None else None
        if consulted is None:
            return None
        entry, figures = consulted
        if self.ranker_log is not None:
            self.ranker_log.append(("takes", figures))
        if not rule.takes(figures):
            return None
        return MatchResult("answer", entry, own.score, own.candidates, own.normalized, by_ranker=True)

    def gate_figures(self, text: str, own: MatchResult) -> tuple[Entry, tuple[float, ...]] | None:
        """The ranker's first entry for a message the lexical engine read as `own`, and the figures
        the gate weighs (content/ranker_gate.py FEATURES); None where the ranker is not consulted.
        A message naming what the content leaves out is never answered from it: the ranker always
        names some entry."""
        words = len(tokens(text))
        # A bare subject ("HCLĐ") is a choice to offer, as the lexical engine offers it: the ranker would guess.
        if not own.candidates or self.matcher.terse(text) or names_uncovered(self._tokens(text)):
            return None
        if self.feature_named(text) is not None:
            # "Hạn chót nộp hồ sơ khen chống dịch là ngày nào": a deadline, which the plans do not set
            # (the Office's deadlines are the bot's calendar); the ranker would name the dossier entry.
            return None
        short = words <= MAX_FOLLOW_UP_WORDS
        if short and not self.questions.is_question(text):
            return None  # a photo's caption ("Ảnh trao thưởng") asks nothing
        ranked, outside = self.matcher.ranker.read(text, 2)
        best, second = ranked[0], ranked[1] if len(ranked) > 1 else None
        entry = self.matcher.kb.by_id.get(best.entry_id)
        if entry is None or (short and own.candidates[0].entry.id != best.entry_id):
            # A question as short as a follow-up the conversation did not complete ("cái sửa đổi đó ngày
            # bao nhiêu") is the ranker's only where the lexical engine ranks the same entry first: alone,
            # it would guess ("em chưa hiểu lắm").
            return None
        numbers = recall.document_numbers(text)
        if numbers and not numbers & numbers_named(entry):
            # "KH 200/KH-VKS ban hành ngày nào": the ranker reads a plan's date asked, and names KH 515's;
            # a number the entry never names is another document.
            return None
        offered = own.kind == "clarify" and best.entry_id in {c.entry.id for c in own.candidates[:2]}
        # The lexical engine's first: of its best reading, or of the whole message when a part of a
        # long one read better ("..., ra vào không đeo khẩu trang, khai báo y tế qua loa. Kế hoạch có nói
        # phải xử lý những trường hợp như vậy không": the whole names the slackness entry, a part 5K).
        agreed = own.candidates[0] if own.candidates[0].entry.id == best.entry_id else next(
            (c for c in self.matcher.rank(text, 1)[0] if c.entry.id == best.entry_id), None)
        lexical = own.candidates[0]
        gap = lexical.score - own.candidates[1].score if len(own.candidates) > 1 else lexical.score
        return entry, gate_features(lexical.score, (agreed or lexical).coverage, gap, words, best.prob,
                                    best.prob - (second.prob if second else 0.0), outside,
                                    agreed is not None, offered)

    def _ranker_switch(self, text: str, own: MatchResult) -> MatchResult | None:
        """Another entry for a message the lexical engine answered by a hair (its best
        candidate barely ahead of the next) when the learned ranker is confident in that
        other entry (RankerRule.switches, fitted like the rest of the rule)."""
        rule = self.ranker_rule
        if rule is None or len(own.candidates) < 2 or own.also or names_uncovered(self._tokens(text)):
            return None
        gap = own.candidates[0].score - own.candidates[1].score
        if gap > rule.switch_gap:
            return None
        best = self.matcher.ranker.rank(text, 1)[0]
        if best.entry_id == own.entry.id:
            return None
        if self.ranker_log is not None:
            self.ranker_log.append(("switches", best.prob, gap))
        if not rule.switches(best.prob, gap):
            return None
        entry = self.matcher.kb.by_id.get(best.entry_id)
        return None if entry is None else MatchResult("answer", entry, own.score, own.candidates, own.normalized)

    def _elliptical(self, part: str) -> bool:
        """A short question that names no award or plan ("công tác bao nhiêu năm", "áp dụng
        từ ngày nào", "gọi ai sửa"): after a question the content does not cover, it asks
        more about that."""
        return self.frame(part).subject is None and len(tokens(part)) <= ELLIPTICAL_WORDS

    def _aspects_joined(self, text: str, context: dict | None) -> Reading | None:
        """One award asked about in two or three ways ("tiêu chuẩn của bằng khen này với số bộ
        hồ sơ phải nộp", "hồ sơ và tiêu chuẩn HCLĐ"): a question per way, each with the award."""
        if names_uncovered(self._tokens(text)):
            return None  # "Thủ tục và hồ sơ đề nghị Huân chương Bảo vệ Tổ quốc": another order, not covered
        focus = self.sentences.focus(text)
        question, story = focus[0] if focus else (text, "")
        pieces = [p.strip(" ,.?!") for p in JOINED_ASPECTS.split(question) if tokens(p)]
        asked = [(p, a) for p in pieces if (a := self.aspect_of(self._tokens(p))) is not None]
        if len(asked) < 2 or len({a for _, a in asked}) < len(asked) or len(asked) > MAX_PARTS:
            return None
        subject = self.subject_of(self._tokens(question))
        if subject is None:
            subject = self._subject_told(story, context)
        if subject is None:
            return None
        say = self.data.subjects[subject].say
        read, filled, about = [], [], context
        for piece, aspect in asked:
            q = f"{self.aspect_say[aspect]} {say}"
            result = self.matcher.match(q)
            if result.kind != "answer" or not self._fits(aspect, result.entry):
                return None
            read.append((piece, result))
            filled.append(q)
            about = self.about(self.frame(q), result.entry, about)
        if len({r.entry.id for _, r in read if r.entry is not None}) < len(read):
            return None
        return Reading(read, about, filled)

    # --- the conversation as a source -----------------------------------------------------
    def recalled(self, text: str, context: dict | None) -> tuple[str, str] | None:
        """The message with what it points back at put in its place, and how: a correction
        ("à không, ý em là giấy khen cơ": the last aspect asked again of the award it names),
        "cái kia" / "mức trước" (the subject before the last), "mức đó" / "hình thức này" (the last
        subject), "kế hoạch đó" / "văn bản đó" (the document the last answer meant). None when it
        points at nothing the conversation holds: a complete question is read on its own."""
        if not context:
            return None
        n = len(self.data.subjects)
        subjects = recall.recent(context, n)
        plain = fold_aligned(unicodedata.normalize("NFC", text))
        frame = self.frame(text)
        if self.recall_words.correction.search(plain) and frame.subject is not None and subjects \
                and frame.subject != subjects[0]:
            aspect = frame.aspect or context.get("aspect")
            if aspect in self.aspect_say:
                return f"{self.aspect_say[aspect]} {self.data.subjects[frame.subject].say}", "correction"
        if self.recall_words.correction.search(plain) and frame.subject is None and frame.aspect is None:
            # "Ấy chết, tôi hỏi nhầm, là Thông tư 01/2020/TT-VKSTC" after "Thông tư 01/2019 ban hành ngày nào":
            # the last aspect asked again of the document it names.
            named = recall.documents(text)
            aspect = context.get("aspect")
            if named and aspect in self.aspect_say:
                return f"{self.aspect_say[aspect]} {named[0][2]}", "correction"
        pointed = self.recall_words.document_pointed(text, context)
        if pointed is not None:
            return recall.replace_folded(text, pointed[0], pointed[1]), f"document {pointed[1]}"
        pointed = self.recall_words.body_pointed(text, context)
        if pointed is not None and len(tokens(text)) <= MAX_FOLLOW_UP_WORDS + 4:
            # "đơn vị đó còn làm những việc gì nữa" after "vướng mắc thì hỏi ai" (the Office): not in a
            # longer message, where "đơn vị đó" may be one its own story told of.
            return recall.replace_folded(text, pointed[0], pointed[1]), f"body {pointed[1]}"
        # A message naming a subject is read on its own, unless what it points at is that subject:
        # "ở VKS Tây Ninh thì triển khai phong trào đó bằng kế hoạch số mấy" ("tỉnh" names the province's
        # plan, and "phong trào đó" says which movement of it), "cái e hỏi đầu tiên có được truy tặng ko"
        # ("truy tặng" is said of the Labour Order, the first subject asked).
        def agrees(subject: int) -> bool:
            return frame.subject is None or frame.subject == subject

        place = self.recall_words.place_pointed(plain)
        if place is not None:
            listed = recall.listed_at(context, place[1], n)
            if listed is not None and agrees(listed):
                say = self.data.subjects[listed].say
                return recall.replace_folded(text, place[0], say), f"listed {place[1]} {say}"
        m = self.recall_words.first.search(plain)
        if m and subjects and agrees(subjects[-1]):  # (one subject remembered: it is also the first)
            say = self.data.subjects[subjects[-1]].say
            return recall.replace_folded(text, m.group(0), say), f"first subject {say}"
        m = self.recall_words.earlier.search(plain)
        if m and len(subjects) > 1 and agrees(subjects[1]):
            say = self.data.subjects[subjects[1]].say
            return recall.replace_folded(text, m.group(0), say), f"earlier subject {say}"
        m = self.recall_words.last.search(plain)
        said = unicodedata.normalize("NFC", text)[m.start():m.end()].lower() if m and len(plain) == len(text) else ""
        if m and subjects and agrees(subjects[0]) and not any(w in said.split() for w in ("độ", "mục")):
            # ("mức độ", "mục này": not awards)
            say = self.data.subjects[subjects[0]].say
            return recall.replace_folded(text, m.group(0), say), f"last subject {say}"
        return None

    def candidates(self, context: dict | None) -> list[tuple[str, str]]:
        """What the conversation offers a message pointing back, most recent first (for `--explain`)."""
        if not context:
            return []
        subjects = recall.recent(context, len(self.data.subjects))
        out = [(f"subject-{i}", self.data.subjects[s].say) for i, s in enumerate(subjects)]
        if context.get("aspect") in self.aspect_say:
            out.append(("aspect", str(context["aspect"])))
        out += [("document", name) for _, name in recall.told_documents(context)]
        out += [("body", b) for b in recall.told_bodies(context)[:1]]
        return out

    def _source_asked(self, text: str, context: dict | None) -> Reading | None:
        """"nội dung đó nằm trong kế hoạch nào" after an answer: that answer again, which shows its source."""
        last = (context or {}).get("entry")
        if not last or len(tokens(text)) > MAX_FOLLOW_UP_WORDS + 2 or recall.document_numbers(text) \
                or self.frame(text).subject is not None \
                or not self.recall_words.source_asked.search(fold_aligned(unicodedata.normalize("NFC", text))):
            return None
        entry = self.matcher.kb.by_id.get(last)
        if entry is None:
            return None
        result = MatchResult("answer", entry, 1.0, (), "")
        return Reading([(text, result)], self.about(self.frame(entry.title), entry, context), [None])

    def read(self, text: str, context: dict | None) -> Reading:
        context = context if isinstance(context, dict) else None
        reading = self._source_asked(text, context)
        if reading is not None:
            return self._remember(reading, context)
        recalled = self.recalled(text, context)
        if recalled is not None:
            reading = self._read(recalled[0], context)
            first = reading.parts[0][1]
            last = context.get("entry") if context else None
            if all(r.kind != "answer" for _, r in reading.parts) and recalled[1].startswith("last subject") \
                    and len(reading.parts) == 1 and first.candidates and first.candidates[0].entry.id == last \
                    and not names_uncovered(self._tokens(recalled[0])):
                # "mức ấy thì phạm vi ảnh hưởng phải rộng tới đâu" after the standard of HCLĐ: pointed at the
                # last subject, and the lexical engine's first is the last answer's entry: they agree.
                entry = first.candidates[0].entry
                answered = MatchResult("answer", entry, first.score, first.candidates, first.normalized)
                reading = Reading([(text, answered)], self.about(self.frame(recalled[0]), entry, context), [recalled[0]])
            elif all(r.kind != "answer" for _, r in reading.parts):
                reading = None
            elif recalled[1].startswith("document") and len(reading.parts) == 1 \
                    and not self._subject_fits(self.subject_of(self._tokens(recalled[0])), first.entry):
                # "chỉ thị đó ai ký" after Chỉ thị 19: the signer of the plan carrying it out is no
                # answer; the content has none about the directive itself, and the reply says so.
                return Reading([(text, MatchResult("fallback", None, 0.0, (), first.normalized))], context,
                               [recalled[0]])
            else:
                reading = Reading([(text, r) for _, r in reading.parts] if len(reading.parts) == 1 else reading.parts,
                                  reading.about, [f or recalled[0] for f in reading.filled])
        if reading is None:
            reading = self._read(text, context)
        if self.out_of_scope:
            reading = self._declined(text, reading)
        return self._remember(reading, context)

    def _remember(self, reading: Reading, context: dict | None) -> Reading:
        """The reading with what the conversation is about after it: the subjects so far, and the
        documents and list of the last answer (content/recall.py)."""
        answered = [(reading.filled[i] if i < len(reading.filled) and reading.filled[i] else q, r)
                    for i, (q, r) in enumerate(reading.parts) if r.kind == "answer" and r.entry is not None]
        docs = recall.documents_after(answered[-1][0], answered[-1][1].entry.title, answered[-1][1].entry.answer) \
            if answered else []
        listed = self.listed(answered[-1][1].entry) if answered else []
        bodies = self.recall_words.bodies_named(answered[-1][1].entry.answer) if answered else []
        reading.about = recall.remember(reading.about, context, len(self.data.subjects), docs, listed, bodies)
        return reading

    def listed(self, entry: Entry) -> list[int]:
        """The awards or plans an entry's answer lists, in the order of its list's lines ("- Huân chương
        Lao động: ...", "+ Bằng khen ..."), each once; none when fewer than two lines name one. Read once
        per entry: every answer from it asks again."""
        found = self._listed.get(entry.id)
        if found is None:
            found = []
            for line in entry.answer.splitlines():
                line = line.strip()
                if line[:1] not in "-+" and not re.match(r"\d+[.)]\s", line):
                    continue
                subject = self.subject_of(self._tokens(line.split(":")[0]))
                if subject is not None and subject not in found:
                    found.append(subject)
            self._listed[entry.id] = found = found if len(found) >= 2 else []
        return list(found)

    def _declined(self, text: str, reading: Reading) -> Reading:
        """The reading with every answer or choice the Office marked "not our subject" (the whole
        message or the part nearly one of its examples) made the fallback. Only ever that way:
        a fallback stays one."""
        whole = self.out_of_scope.example_for(text)
        parts, filled, changed = [], list(reading.filled), False
        for i, (part, result) in enumerate(reading.parts):
            example = whole or (self.out_of_scope.example_for(part) if len(reading.parts) > 1 else None)
            if example is not None and result.kind != "fallback":
                result = MatchResult("fallback", None, 0.0, (), result.normalized, out_of_scope=example)
                changed = True
                if i < len(filled):
                    filled[i] = None  # declined as asked, not as completed from the conversation
            parts.append((part, result))
        if not changed:
            return reading
        kept = any(r.kind == "answer" for _, r in parts)
        # Nothing answered: the conversation is about nothing any more, as after any fallback.
        return Reading(parts, reading.about if kept else None, filled)

    def _read(self, text: str, context: dict | None) -> Reading:
        parts = self.sentences.split(text)
        if len(parts) == 1 and (joined := self._aspects_joined(text, context)) is not None:
            return joined
        if len(parts) > 1:
            read, about, filled = [], context, []
            for part in parts[:MAX_PARTS]:
                # A later part naming nothing ("..., về nội dung gì") asks about what the part before it did.
                after_part = bool(read) and read[-1][1].kind == "answer" and self._elliptical(part) \
                    and self._on_topic(part)  # not "cho em hỏi với", which asks nothing itself
                result, after, how = self.read_one(part, about, second=False, after_part=after_part)
                # "..., cho em hỏi hạn đăng ký hội thao là khi nào và liên hệ ai": a part opening
                # with "và" asks more about what the part before it asked; when that was not
                # covered, neither is this ("liên hệ ai" about the sports day, not the awards). Not once
                # a part was answered: "KH 515 ai ký, ban hành ngày nào, căn cứ vào văn bản nào" asks
                # the basis of the plan just answered about, whatever became of the date.
                if read and read[-1][1].kind == "fallback" and result.kind != "fallback" \
                        and not any(r.kind == "answer" for _, r in read) \
                        and (self.matcher.lexicon.continuation.match(fold_aligned(part)) or self._elliptical(part)):
                        result, after, how = MatchResult("fallback", None, 0.0, (), result.normalized), about, None
                read.append((part, result))
                filled.append(how)
                about = after
            answered = {r.entry.id for _, r in read if r.kind == "answer" and r.entry is not None}
            last = parts[:MAX_PARTS][-1]
            if read[-1][1].kind == "fallback" and names_uncovered(self._tokens(last)) \
                    and not any(self.questions.asks_by_word(p) for p in parts[:MAX_PARTS][:-1]):
                # The one real question asks what the content leaves out; the parts before it ask by an
                # asking phrase alone ("Xin cho biết tiêu chí đánh giá, xếp loại công chức gồm những gì",
                # "... Hỏi kế toán mà chưa rõ. Phụ cấp ... bao nhiêu"): the message is that question.
                return Reading([(text, read[-1][1])], None, [None])
            if len(answered) > 1:
                return Reading(read, about, filled)
            if answered and all(r.kind == "answer" for _, r in read):
                # Every part answered by the same entry ("..., in mấy bộ, bản chính hay bản sao"):
                # that entry answers the message.
                return Reading([(text, read[0][1])], about, [filled[0]])
            whole = self.read_one(text, context, second=False)
            # One part answered and the message as a whole not: the answer, and the rest said unanswered.
            if answered and whole[0].kind != "answer":
                return Reading(read, about, filled)
            if whole[0].kind != "answer":
                # No part answered: the whole message, long, may still get the second opinion.
                whole = self.read_one(text, context)
            return Reading([(text, whole[0])], whole[1], [whole[2]])
        result, about, how = self.read_one(text, context)
        return Reading([(text, result)], about, [how])
