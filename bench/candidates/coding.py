"""Planted candidates for the ``coding`` template (merge overlapping intervals).

Each tuple answers the offline interviewer's questions in the order it asks them for that
candidate (the follow-ups it picks depend on the words of the answer before). Answers that
start with code (``def``, ``import``, ``#``) are meant for the whiteboard; the rest is prose.

- strong: clarifies the input, explains the sort-then-sweep idea against brute force, writes
  correct typed Python, tests the edge cases as code, and states time and space complexity;
- average: a working idea and code with gaps (no empty check, strict comparison, the new end
  instead of the larger one), one happy-path test, a bare complexity;
- weak: vague prose, no code, no tests, no complexity.
"""

from __future__ import annotations

from typing import Final

CODE_PREFIXES: Final = ("def ", "import ", "#")

STRONG_CODE: Final = '''def merge(intervals: list[list[int]]) -> list[list[int]]:
    """Merge overlapping closed intervals; the caller's list is left unchanged."""
    if not intervals:
        return []
    ordered = sorted(intervals, key=lambda interval: interval[0])
    merged = [list(ordered[0])]
    for start, end in ordered[1:]:
        last = merged[-1]
        if start <= last[1]:  # touching intervals merge too
            last[1] = max(last[1], end)
        else:
            merged.append([start, end])
    return merged
'''

STRONG_TESTS: Final = """import pytest


@pytest.mark.parametrize(
    ("intervals", "expected"),
    [
        ([], []),  # empty input
        ([[5, 7]], [[5, 7]]),  # a single interval
        ([[1, 3], [2, 6], [8, 10]], [[1, 6], [8, 10]]),
        ([[8, 10], [1, 3], [2, 6]], [[1, 6], [8, 10]]),  # unsorted
        ([[1, 4], [4, 5]], [[1, 5]]),  # touching
        ([[1, 10], [2, 3]], [[1, 10]]),  # nested
        ([[1, 2], [3, 4]], [[1, 2], [3, 4]]),  # disjoint
    ],
)
def test_merge(intervals, expected):
    assert merge(intervals) == expected


def test_merge_leaves_the_input_unchanged():
    intervals = [[2, 6], [1, 3]]
    merge(intervals)
    assert intervals == [[2, 6], [1, 3]]
"""

STRONG: Final = (
    # opening: restate the problem and work an example
    "Let me restate it to make sure I understand. The function takes a list of intervals, "
    "each a pair [start, end], and returns a new list in which overlapping intervals are "
    "merged into one. For example, with [[1, 3], [2, 6], [8, 10]]: [1, 3] and [2, 6] overlap "
    "because 2 lies inside [1, 3], so they become [1, 6]; [8, 10] starts after 6, so it stays "
    "on its own, and the output is [[1, 6], [8, 10]].",
    # cl_inputs
    "To clarify my assumptions: the input is not necessarily sorted, it can be empty, and the "
    "values are integers with start <= end. Intervals that touch, like [1, 4] and [4, 5], I "
    "would treat as overlapping, so the boundaries are inclusive. Is that right?",
    # cl_touching
    "I would ask you, since it is really a product decision. For closed intervals, such as "
    "meetings booked in whole minutes, [1, 4] and [4, 5] share the point 4, so they merge into "
    "[1, 5]. If the intervals were half-open they would not overlap and I would keep them apart; "
    "in code that is only the difference between <= and < in one comparison.",
    # cl_output
    "I'll return a new list sorted by start and leave the caller's list untouched, because "
    "changing an argument surprises callers; I'll copy each interval I keep, so the result "
    "shares nothing with the input.",
    # ap_idea
    "My first idea is brute force: compare every pair and merge until nothing changes, which is "
    "O(n^2) per pass. The key observation is that once the intervals are sorted by start, an "
    "interval that overlaps the current merged one must come right after it, so a single greedy "
    "pass is enough: keep the last merged interval and, for each next interval, either extend "
    "its end or start a new one.",
    # ap_brute_force
    "Comparing each pair is quadratic, and after two intervals merge, the wider one may now "
    "overlap something already compared, so you need repeated passes, up to O(n^3) in the "
    "worst case. With the intervals in order by start, an interval can only overlap the merged "
    "one just before it, which makes the pass linear after an O(n log n) sort.",
    # ap_why_sort
    "Sorting by start guarantees that every earlier interval starts no later than the current "
    "one, so the only question is whether it starts before the current end; that invariant "
    "holds after each step. If I sorted by end instead, [[2, 3], [4, 5], [1, 10]] breaks: the "
    "pass keeps [2, 3] and [4, 5] apart and only then meets [1, 10], which contains both.",
    # co_write (whiteboard)
    STRONG_CODE,
    # co_lambda_key
    "The key compares only the start. Two intervals with the same start can come in either "
    "order, and that is fine: whichever comes second starts at or before the current end, so "
    "it merges, and max() keeps the larger end. Python's sort is stable, so equal starts also "
    "keep their input order.",
    # co_max_end
    "Because the new interval can be nested inside the last one. With [[1, 10], [2, 3]], taking "
    "the new end would shrink [1, 10] to [1, 3] and lose everything from 3 to 10; max() keeps "
    "[1, 10].",
    # co_walkthrough
    "Let me trace it line by line. First, sorted, the input is [[1, 3], [2, 6], [8, 10]], so "
    "merged starts as [[1, 3]]. Next, [2, 6]: 2 <= 3, so the last end becomes max(3, 6) = 6 "
    "and merged is [[1, 6]]. Then, [8, 10]: 8 > 6, so it is appended, and merged is "
    "[[1, 6], [8, 10]], which is the expected output.",
    # te_cases (whiteboard)
    STRONG_TESTS,
    # te_edge_cases
    "The nested case [[1, 10], [2, 3]] is the one most likely to catch a bug, since it fails "
    "if you take the new end instead of the maximum. The edge cases I haven't covered yet are "
    "negative values, zero-length intervals such as [3, 3], duplicates, and a large input; I "
    "would add those as more parametrized cases, and then check random inputs as well.",
    # te_property
    "I'd use property-based testing with Hypothesis: generate random lists of intervals and "
    "compare merge() with a slow brute-force oracle that marks every covered point, since the "
    "values are small. I would also assert properties directly: the output is sorted, no two "
    "output intervals overlap, and every input interval is contained in one output interval.",
    # wu_complexity
    "Time complexity is O(n log n): the sort dominates, and the merging pass is linear, O(n). "
    "Space complexity is O(n) for the sorted copy and the output, which in the worst case holds "
    "all n intervals when nothing overlaps; Timsort itself may need O(n) auxiliary memory. The "
    "brute-force approach was O(n^2) or worse, so this is a clear improvement.",
    # wu_lower_bound
    "If the intervals already arrive sorted by start, I skip the sort and the whole thing is "
    "linear, O(n), which is optimal because every interval must be read. With small integer "
    "values I could use counting sort, one bucket per start value, so O(n + k) for a value "
    "range k. In general a comparison sort has a lower bound of n log n, so I wouldn't expect "
    "to beat it without such extra knowledge.",
    # closing 1
    "To summarise: I would add input validation that raises a ValueError when start > end, a "
    "docstring example, and a small Interval type alias for readability. I might also offer an "
    "in-place variant for callers who care about memory. Overall I'm happy with the structure: "
    "sort by start, one greedy pass, and unit tests for the edge cases.",
    # closing 2
    "I'd like to know how your team does code review and how much of the code is covered by "
    "tests. Thanks, I enjoyed the problem.",
)

AVERAGE_CODE: Final = """def merge(intervals):
    intervals.sort()
    result = [intervals[0]]
    for i in intervals[1:]:
        if i[0] < result[-1][1]:
            result[-1][1] = i[1]
        else:
            result.append(i)
    return result
"""

AVERAGE: Final = (
    # opening
    "It takes a list of intervals and gives them back merged. For example [1, 3] and [2, 6] "
    "overlap, so they become [1, 6], and [8, 10] stays the same.",
    # cl_inputs
    "I guess they can come in any order, so I would sort them first. An empty list is probably "
    "not a big deal.",
    # cl_output
    "I'd return a list with the merged intervals.",
    # ap_idea
    "Sort the intervals by start and then go through them, and if the next one overlaps the "
    "last one I combine them.",
    # ap_why_sort
    "Because then the overlapping intervals are next to each other, so I only need to look at "
    "the previous one.",
    # ap_correctness_argument
    "I think it works because everything is sorted, so nothing gets skipped.",
    # co_write (whiteboard)
    AVERAGE_CODE,
    # co_walkthrough
    "After sorting, the result starts with [1, 3]. Then [2, 6] overlaps, so it becomes [1, 6]. "
    "Then [8, 10] doesn't overlap, so it's added, and the answer is [[1, 6], [8, 10]].",
    # co_readability
    "Maybe I'd rename i to something longer and add a comment.",
    # co_names
    "i is not a very clear name; interval or current would be better.",
    # te_cases
    "I would test the example from the problem and check that it returns [[1, 6], [8, 10]], "
    "and maybe one where nothing overlaps.",
    # te_bug_hunt
    "It would return [[1, 3]] I think, because it takes the end of the second one. I would "
    "print the result inside the loop to see.",
    # te_debugging
    "I'd try just those two intervals and look at each step.",
    # wu_complexity
    "The sort is O(n log n) and the loop is O(n), so O(n log n) overall.",
)

WEAK: Final = (
    # opening
    "You put the intervals together if they overlap.",
    # cl_inputs
    "I'm not sure, I would just take the input as it is.",
    # cl_output
    "Return the list, I suppose.",
    # ap_idea
    "I would loop over them and combine the ones that go together, it should work.",
    # ap_correctness_argument
    "It should be fine, I can't really say more without running it.",
    # co_write
    "I don't really write code on a whiteboard, I would try it on my computer and see.",
    # co_walkthrough
    "There isn't much to walk through, it just goes over the list.",
)

PLANTED: Final[dict[str, tuple[str, ...]]] = {
    "strong": STRONG,
    "average": AVERAGE,
    "weak": WEAK,
}


def is_code(answer: str) -> bool:
    """Whether a planted answer is code, meant for the whiteboard rather than the chat."""
    return answer.startswith(CODE_PREFIXES)
