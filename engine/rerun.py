"""What a batch run again does with the paintings an earlier run made with other settings.

An earlier painting of a photo in this style is, by what its mark records (engine.provenance,
engine.paintlook):
- done: made with these settings, or before settings were recorded. Skipped without a word, so a
  stopped or killed batch resumes where it was, and old paintings are not suddenly painted again.
- changed: made with other settings. A batch used to call it "already done", and the user's new
  strength silently did nothing. What they mean is theirs to say, once per batch: `replace` (paint
  it again in place, written atomically like any painting), `keep-both` (the new painting takes the
  next free name, `photo_monet-2.jpg`; the old one is never touched) or `skip` (leave it as it is).

A batch given no answer paints nothing when it finds changed paintings: it returns the question
(`ChangedOutputs`: how many, where, what changed), and each front end asks it its own way: the
GUI in a dialog, the command line on a terminal, or with one line and exit status 2 when nobody can
answer. The command line's `--overwrite` is one more answer, not a second mechanism: every earlier
painting of these photos is replaced, made with the same settings or not.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from engine.messages import IF_CHANGED
from engine.paintlook import STROKES, STYLE, PaintLook, changes
from engine.printable import printable

REPLACE, KEEP_BOTH, SKIP = IF_CHANGED
OVERWRITE = "overwrite"  # replace every earlier painting, same settings or not (the CLI's --overwrite)
ANSWERS = (*IF_CHANGED, OVERWRITE)

Change = tuple[str, str, str]  # (setting, before, after), the setting as the command line names it


@dataclass(frozen=True)
class ChangedOutputs:
    """The question a batch returns instead of painting: `count` earlier paintings in `folders` were
    made with other settings; `changes` says how, the most frequent first (empty when unknown)."""

    count: int
    folders: tuple[str, ...]
    changes: tuple[Change, ...] = ()

    @classmethod
    def of(cls, earlier: Sequence[tuple[Path, str]], now: PaintLook) -> ChangedOutputs | None:
        """The question for these earlier paintings (path, their settings in words), None if there are none."""
        if not earlier:
            return None
        seen = Counter(change for _, words in earlier for change in changes(words, now))
        folders = tuple(sorted({str(path.parent) for path, _ in earlier}))
        return cls(len(earlier), folders, tuple(change for change, _ in seen.most_common()))

    @classmethod
    def combined(cls, questions: Iterable[ChangedOutputs]) -> ChangedOutputs | None:
        """Several styles' questions as one (the command line asks once for `--style all`)."""
        questions = list(questions)
        if not questions:
            return None
        folders = tuple(sorted({f for q in questions for f in q.folders}))
        seen = dict.fromkeys(c for q in questions for c in q.changes)
        return cls(sum(q.count for q in questions), folders, tuple(seen))

    def what_changed(self, arrow: str = "->", most: int = 2) -> str:
        """"strength 80 % -> 100 %, brushwork off -> 40 %"; "" when the earlier settings are unknown."""
        told = ", ".join(describe(change, arrow) for change in self.changes[:most])
        return told + (", ..." if len(self.changes) > most else "")

    def sentence(self, arrow: str = "->") -> str:
        """"3 paintings in /photos/stylized were made with other settings (strength 80 % -> 100 %)"."""
        where = printable(self.folders[0]) if len(self.folders) == 1 else f"{len(self.folders)} folders"
        made = "painting in {} was" if self.count == 1 else "paintings in {} were"
        how = self.what_changed(arrow)
        return f"{self.count} {made.format(where)} made with other settings" + (f" ({how})" if how else "")


def describe(change: Change, arrow: str = "->") -> str:
    """One change in words. The style's content is recorded as digests, which mean nothing to a
    person: such a change is told as what happened to the style."""
    setting, before, after = change
    if setting == STYLE:
        return "the style was retrained or updated"
    if setting == STROKES:
        return "the style's brushstrokes were changed"
    return f"{setting} {before} {arrow} {after}"
