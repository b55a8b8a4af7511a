"""``CheckResult``: what ``check`` returns. It reads well printed, in a terminal, and in a notebook."""

import html
from dataclasses import dataclass, field


@dataclass
class CheckResult:
    """The outcome of checking one solution.

    Attributes
    ----------
    exercise : str
        The exercise's name.
    passed : bool
        True when every case agreed with the reference. ``bool(result)`` is the same.
    message : str
        The explanation, for the student (``print(result)`` shows it).
    cases : int
        How many cases passed (before the failing one, when it failed).
    arguments : dict or None
        The failing case's inputs, by parameter name, to try it again by hand.
    expected : dict or None
        The failing case's expected outputs, by output name.
    mistakes : dict
        The classic mistakes recognised, by output: ``{"grad_bias": ("divided by N",)}``; empty if none.
    """

    exercise: str
    passed: bool
    message: str
    cases: int = 0
    arguments: dict = None
    expected: dict = None
    mistakes: dict = field(default_factory=dict)

    def __bool__(self):
        return self.passed

    def __str__(self):
        return self.message

    def __repr__(self):
        return self.message

    def _repr_markdown_(self):
        headline, _, body = self.message.partition("\n\n")
        mark = "✅" if self.passed else "❌"
        text = f"{mark} **{headline}**"
        if body:
            text += "\n\n```text\n" + body.replace("```", "'''") + "\n```"
        return text

    def _repr_html_(self):
        headline, _, body = self.message.partition("\n\n")
        colour, mark = ("#1a7f37", "✅") if self.passed else ("#b3261e", "❌")
        text = (f'<div style="border-left: 4px solid {colour}; padding: 0.4em 0.8em;">'
                f'<div style="color: {colour}; font-weight: bold;">{mark} {html.escape(headline)}</div>')
        if body:
            text += f'<pre style="white-space: pre-wrap; margin: 0.5em 0 0 0;">{html.escape(body)}</pre>'
        return text + "</div>"
