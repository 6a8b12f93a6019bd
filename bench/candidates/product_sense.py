"""Planted candidates for the product sense template (a grocery delivery app for older adults).

Each tuple answers the interview in order: the opening, then the template's questions phase by
phase (users and segments, problem framing, solutions and prioritisation, metrics, wrap-up).
The strong candidate answers every question with the reasoning the rubric looks for, the
average one answers most of them plainly, and the weak one stays vague and stops early.
"""

from __future__ import annotations

from typing import Final

STRONG: Final = (
    # opening: what to clarify
    "Let me clarify a few things first. Is the goal more orders from people over 65, or also "
    "winning their families as customers? Assuming we are on iOS and Android in cities we "
    "already serve, and that store partners can't change, my plan is to go in three parts: "
    "users and segments, the problem, then solutions and metrics. Does that make sense?",
    # us_segments
    "I'd segment them by independence and tech comfort rather than by age alone. First, "
    "confident self-shoppers, already tech-savvy. Second, reluctant first-time users with "
    "limited mobility who want independence but struggle with the app. Third, people who "
    "depend on a caregiver, often a daughter or son ordering for them. I'd focus on the second "
    "segment: they are underserved and the biggest group. My persona is Margaret, 74, living "
    "alone after a hip operation.",
    # us_pain_points
    "Margaret's user journey: a grandchild installs the app, she searches for bread and gets "
    "dozens of results in small text she can't read with her eyesight. Pain points are "
    "accessibility, too many choices, distrust of entering a card, and fear of a wrong "
    "substitution. Her motivation is independence; the frustration is feeling stupid. The "
    "context matters too: she is lonely and her habit was a weekly trip to the shop.",
    # us_research
    "Before building I'd run user research: a dozen user interviews at home, a short diary "
    "study over two weeks of shopping, and a usability test of the current first order. I'd "
    "recruit through community centres, not only our app, so we don't hear only from "
    "tech-savvy people. I expect to learn which user need matters most: trust, readability or "
    "simply remembering what to order. Jobs to be done framing helps here.",
    # pf_goal
    "The business goal is growth in a segment where competitors are weak: older adults have "
    "higher basket sizes and loyalty. It fits the mission of making groceries easy for "
    "everyone and a strategy of expanding beyond young professionals. Opportunity sizing: "
    "roughly 12 million people over 65 in our cities, a TAM of a few billion in revenue per "
    "year, so even a small share matters.",
    # pf_problem_statement
    "The problem is: older adults who want to shop independently abandon their first order "
    "because they can't find and trust what they need. Our funnel shows the drop-off between "
    "search and checkout. My hypothesis is that the root cause is choice overload plus "
    "payment anxiety, and the evidence would come from funnel data and the interviews; that "
    "assumption is the one I'd test first.",
    # pf_constraints
    "Constraints: a small engineering team this quarter, store partners who control "
    "substitutions, and regulation on payment and consent when a family member orders. The "
    "main scope risk is the existing customers: anything we add must not slow down the core "
    "flow for existing users, so new modes should be opt-in.",
    # so_brainstorm
    "Let me brainstorm four solutions. One, a simple mode with large text and a short shopping "
    "list of usual items with one-tap reorder. Two, a family account so a caregiver can order "
    "on behalf of a parent while she approves. Three, phone ordering with a concierge who "
    "knows her preferences. Four, the bold moonshot: a voice assistant and a partnership with "
    "pharmacies for a weekly standing order with reminders and personalised recommendations.",
    # so_prioritise
    "I'd prioritise with RICE. Simple mode with reorder: reach high, impact high, confidence "
    "medium, effort low, so it scores best and is a quick win. Family account has high impact "
    "but a dependency on payments and consent, so more effort and risk. Voice is a moonshot "
    "with low confidence and a high cost. The trade-off is that I give up the caregiver "
    "segment for now; the downside is the opportunity cost of losing those families. The "
    "roadmap sequence: simple mode, then family account, then voice.",
    # so_mvp
    "The MVP is a pilot of simple mode for new users over 65 in one city: large text, a "
    "shopping list, reorder from the last basket. Before that, a clickable prototype in the "
    "usability test and a fake door entry on the home screen to measure interest. If fewer "
    "than one in five first orders complete even with it, I'd stop and rethink onboarding.",
    # me_north_star
    "The north star metric is weekly active ordering households over 65, because a repeat "
    "purchase means the product fits her life. It is a lagging indicator, so leading "
    "indicators are first-order conversion, activation within seven days and order frequency "
    "in the first month, read by cohort against a baseline; retention at eight weeks confirms it.",
    # me_guardrails
    "Guardrails: the conversion and order frequency of existing customers, cancellation rate, "
    "support tickets per order, wrong substitutions and delivery cost per order. NPS and CSAT "
    "from older adults act as a counter-metric to pure engagement: we don't want to push "
    "them into orders they regret. If a guardrail breaks, we pause and fix it first.",
    # me_experiment
    "An A/B test: new users over 65 randomised into a control group and simple mode, with a "
    "holdout for the family account later. The sample size is the hard part, so the "
    "experiment needs about four weeks for statistical significance, and novelty effects or "
    "helpers setting up the app could mislead us. I'd read churn and retention by cohort.",
    # wu_recommendation
    "To summarise, my recommendation: ship a simple mode with reorder for independent older "
    "adults first, because it has the best reach for the effort, measure weekly ordering "
    "households with guardrails on existing customers, and then build the family account. In "
    "other words, fix trust and findability before adding channels.",
    # wu_biggest_risk
    "The biggest risk is that my hypothesis is wrong and the barrier is not the interface but "
    "delivery slots or prices. The cheapest way to reduce that risk is the interviews and the "
    "fake door before engineering starts. If the diary study shows prices dominate, I'd "
    "change my mind and look at a subscription instead. Finally, overall I'd revisit in six "
    "weeks.",
)

AVERAGE: Final = (
    "Is this for all older users or only new ones? I'd like to clarify that.",
    "There are older people who are good with phones and others who are not. I would focus on "
    "the ones who are not so good with technology, maybe with a persona.",
    "They find the app confusing and the text is small. The main pain point is finding items, "
    "and paying can be hard too.",
    "I would do a survey of some older customers to see what they think.",
    "The goal is to get more orders from older people, which means more revenue.",
    "The problem is that they don't finish their first order, so there is a drop-off.",
    "We have limited engineering time, so we should keep it small.",
    "We could add a bigger text option, a reorder button, and maybe phone ordering for people "
    "who prefer to call.",
    "I would build the reorder button first because the impact is high and the effort is low.",
    "We could release it to some users first as a pilot.",
    "The main metric would be the number of orders, and retention after a month.",
    "Maybe also look at support tickets to make sure nothing breaks.",
    "We could do an A/B test with half of the older users.",
)

WEAK: Final = (
    "No, I think it is clear.",
    "Older people, I guess, who want groceries.",
    "I think the problem is that the app is too complicated for them.",
    "I would make the app simpler and easier to use.",
    "More people would use it, so that is good.",
    "I am not sure how I would measure it, maybe downloads as the metric.",
)

PLANTED: Final[dict[str, tuple[str, ...]]] = {
    "strong": STRONG,
    "average": AVERAGE,
    "weak": WEAK,
}
