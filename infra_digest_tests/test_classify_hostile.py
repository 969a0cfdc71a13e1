"""The classifier on hostile input: every pattern is linear in the text's length, and what is classified is capped.

No timed assertions (speed is measured by bench/worst_inputs.py): the inputs are large enough that the old,
quadratic patterns would take many minutes here (a 100,000-character title took 124 s), so the tests finishing
is the evidence.
"""

from __future__ import annotations

import pytest

from infra_digest.classify import ClassifyInput, classify, classify_input, input_from_github, load_taxonomy
from infra_digest.classify import change_type, inputs, prefixes

N = 100_000  # the old quadratic patterns: minutes each at this size; linear: milliseconds

# Shapes that made a pattern backtrack over the whole text at every position.
SHAPES = {
    "alphanumeric run": lambda n: "Fix " + "a" * n,
    "digits after (#": lambda n: "Fix (#" + "9" * n,
    "unclosed backtick": lambda n: "`" + "a" * n,
    "camel case run": lambda n: "aB" * (n // 2) + "_",
    "Camel words": lambda n: "Ab" * (n // 2) + "_",
    "whitespace run": lambda n: "Fix" + " " * n + "x",
    "tabs and spaces before a colon": lambda n: "a" + " \t" * (n // 2) + ":",
    "question mark then spaces": lambda n: "?" + " " * n + "x",
    "separators": lambda n: "a_" * (n // 2),
    "model words": lambda n: "qwen" * (n // 4),
    "brackets": lambda n: "[" * n,
}


@pytest.mark.parametrize("shape", SHAPES, ids=list(SHAPES))
def test_every_title_pattern_is_linear_without_the_cap(shape):
    tax = load_taxonomy()
    text = SHAPES[shape](N)
    cleaned = prefixes.clean_title(text)
    prefixes.parse_prefixes(tax, cleaned)
    prefixes.parse_prefixes(tax, text)
    masked = prefixes.mask_identifiers(text)
    assert len(masked) <= len(text)
    change_type.title_cue(tax, text)
    change_type.issue_type(tax, ClassifyInput("issue", text, body=text), [], text)
    for where in ("title", "label", "path"):
        for m in tax.candidates(where, text):
            m.match(where, text)
    tax.path_info(text)


def test_identifier_masking_and_pr_references_are_unchanged():
    assert prefixes.mask_identifiers("Fix trtllm_allreduce_fusion in torch.compile for v0.11.2") == \
        "Fix ident in ident for v0.11.2"
    assert prefixes.mask_identifiers("Skip test_foo.py and `x y` isAlive") == "Skip testname and ident ident"
    assert prefixes.clean_title("  Fix   x   (#123)  ") == "Fix x"
    assert prefixes.clean_title("Fix x #45") == "Fix x"
    assert prefixes.clean_title("Fix (#12… y") == "Fix y"


def test_huge_title_and_body_classify_like_their_capped_prefix():
    title = "[ROCm] Fix FP8 GEMM crash on MI355 " + "a" * 100_000
    body = "This reverts commit 0123456789abcdef.\n" + "x" * 10_000_000
    item = ClassifyInput("commit", title, body=body, paths=("csrc/rocm/gemm.cu",))
    got = classify(item)
    assert got == classify(ClassifyInput("commit", title[:inputs.MAX_TITLE_CHARS], body=body[:inputs.MAX_BODY_CHARS],
                                         paths=("csrc/rocm/gemm.cu",)))
    assert (got.change_type, got.hardware, got.precision) == ("fix", ("amd",), ("fp8",))
    bounded = item.bounded()
    assert len(bounded.title) == inputs.MAX_TITLE_CHARS and len(bounded.body) == inputs.MAX_BODY_CHARS
    assert ClassifyInput("commit", "x").bounded() is not None


@pytest.mark.parametrize("shape", SHAPES, ids=list(SHAPES))
def test_hostile_100kb_titles_and_10mb_bodies_through_every_adapter(shape):
    title = SHAPES[shape](100_000)
    body = SHAPES[shape](10_000_000 if shape in ("alphanumeric run", "whitespace run", "digits after (#") else 100_000)
    for obj in ({"sha": "a" * 40, "commit": {"message": title + "\n" + body}, "files": [{"filename": title}]},
                {"number": 1, "title": title, "body": body, "labels": [{"name": title}] * 500},
                {"number": 2, "title": title, "body": body, "pull_request": {}}):
        got = classify(input_from_github(obj))
        assert got.change_type and got.rules[0].startswith("change_type:")
    got = classify(classify_input("commit", {"title": title, "message": title + "\n" + body, "files": []}))
    assert got.change_type


def test_first_line_of_a_huge_message_does_not_split_it():
    msg = "\n\n  Title here  \r\n" + "line\n" * 2_000_000
    assert inputs.first_line(msg) == "Title here"
    assert inputs.first_line("") == "" and inputs.first_line(None) == "" and inputs.first_line(" \n ") == ""
    for text in ("a\u2028b", "a\x1cb", "a\r\nb", " \t a \x85b", "\x0ba\x0cb"):
        assert inputs.first_line(text) == text.strip().splitlines()[0].strip()


def test_a_5000_file_commit_is_classified_from_all_its_files():
    paths = tuple(f"csrc/attention/sm100_kernel_{i}.cu" for i in range(5000))
    got = classify(ClassifyInput("commit", "Update kernels", paths=paths))
    assert "nvidia-blackwell" in got.hardware and "kernels" in got.topics
