"""Planted candidates for the ``behavioral`` template: each answer replies, in order, to the
opening and then to the template's main questions (recent project, ownership beyond the role,
work at risk, a disagreement, a difficult colleague, a mistake, critical feedback, influence
without authority, growing others, the biggest lesson, the next role).

The strong candidate tells specific STAR stories with measurable results, the average one
tells vaguer stories with few results, and the weak one speaks in generalities without any
example.
"""

from __future__ import annotations

from typing import Final

STRONG: Final = (
    # Opening: current role.
    "I'm a senior backend engineer on the payments team, five engineers and a product manager. "
    "Day to day I own the settlement service end to end, review designs, and I'm on call one "
    "week in five.",
    # A recent project.
    "To give some context: last year our checkout failed for about 2 percent of card payments "
    "because of retries against the bank's API. My role was tech lead for the fix across the "
    "team. I proposed idempotency keys, wrote the design doc and built the retry queue myself. "
    "As a result, failed payments dropped from 2 percent to 0.3 percent within six weeks, "
    "which meant about 40 thousand dollars a month in recovered revenue.",
    # Follow-up: what would have gone differently without you.
    "Specifically, nobody else had dug into the bank's retry behaviour. I spent two days "
    "reading their logs and found the duplicate charges; without that the fix would have "
    "been a timeout tweak that hid the problem.",
    # Ownership beyond the role.
    "The situation: our nightly reconciliation job failed silently about once a week, and "
    "nobody owned it because the team that wrote it had been reorganised. It wasn't my job, "
    "but I noticed finance fixing the numbers by hand every Monday. I volunteered, took "
    "ownership and set up alerting, then rewrote the job so it could be re-run safely. By the "
    "end of the quarter there were no manual fixes at all, which saved finance about six hours "
    "a week.",
    # Follow-up: how the result was measured.
    "Finance logged every manual correction in a spreadsheet, so I had a baseline of four to "
    "six a week. After the rewrite the count went to zero and stayed there for three months, "
    "and the alert fired twice on real bank delays, which it should.",
    # Work at risk of slipping.
    "A migration I was responsible for was two weeks behind with a hard deadline from the "
    "card networks. My task was to land the must-haves on time, so I proposed cutting the "
    "reporting screens and postponing them a month. We shipped the migration three days "
    "before the deadline, and I followed through on the reports the month after.",
    # Follow-up: how people heard about the risk.
    "I flagged it the same day I saw the burn-down flatten, in our weekly update and in a "
    "short note to the stakeholders with two options and my recommendation, so nobody was "
    "surprised at the end.",
    # A disagreement.
    "For example, I disagreed with our architect, who wanted to move the ledger to a new "
    "database. First, I listened to understand his point of view: he was worried about "
    "scaling. Second, I built a small prototype and ran a benchmark on our real traffic.",
    # Follow-up: the evidence.
    "The benchmark data showed the current database handled ten times our peak. He read it "
    "carefully, and we reached a compromise: keep it, add a read replica, and revisit in a "
    "year. We still work together well, and I trust his judgement more for it.",
    # A difficult colleague.
    "A product manager I worked with kept changing priorities mid-sprint, and there was real "
    "tension with the team. I asked for a one-on-one over coffee to talk it through.",
    # Follow-up: the direct conversation.
    "I gave her feedback with two concrete examples and asked what was going on. Her "
    "perspective was that sales pressured her every week. We found common ground: a weekly "
    "thirty-minute triage where we aligned on changes together. Within a month, mid-sprint "
    "changes went from five a sprint to one.",
    # A mistake.
    "My mistake: I shipped a config change without a canary and it caused a forty-minute "
    "outage of refunds. It was my fault.",
    # Follow-up: the first hour.
    "Support noticed first; I saw the error rate and rolled back within ten minutes, then "
    "apologised to the support lead and wrote the status updates myself. The same afternoon "
    "I asked for a blameless postmortem and offered to run it.",
    # Follow-up: the review afterwards.
    "The root cause was that config changes skipped our deployment checks. I owned two "
    "actions: adding config to the canary pipeline and writing a checklist for risky changes. "
    "Since then we have had no config incident in over a year; the lesson I learned was to "
    "treat config as code.",
    # Critical feedback.
    "The most useful feedback was from my manager: in design reviews I jumped to solutions "
    "and people stopped offering ideas. I was wrong to think speed was helping. Since then I "
    "ask two questions before I propose anything, and now I write the options in the doc "
    "before my recommendation. Looking back over the last half year, our reviews are shorter "
    "and more people contribute.",
    # Influence without authority.
    "I convinced three teams that did not report to me to adopt contract testing. I wrote an "
    "RFC and ran a two-week pilot with one of them.",
    # Follow-up: the proposal.
    "The RFC started from their own incidents: integration breakages, with the data for the "
    "last quarter. I showed it first to the most sceptical lead, then did a demo with the "
    "pilot numbers: breakages dropped by 70 percent. Every team adopted it within a quarter, "
    "and one of their leads now champions it.",
    # Follow-up: the strongest objection.
    "The pushback was build time: they expected contract tests to slow every pipeline. I "
    "measured it in the pilot: the suite added forty seconds and removed a twenty-minute "
    "end-to-end stage, so builds got faster overall.",
    # Growing others.
    "I mentored a junior engineer who was struggling in code reviews. We paired twice a week "
    "and I coached her to write the design before the code. Six months later she led our "
    "onboarding for new hires and ran her own design reviews, and she was promoted that year.",
    # The biggest lesson.
    "The outage taught me the most. In hindsight, I had skipped the canary to save an hour.",
    # Follow-up: what to do differently.
    "I would push for the safety net first: it would have prevented the incident. The key "
    "lesson is that the safety net matters more than being careful. Happy to go deeper on "
    "any of these.",
    # The next role.
    "In short, I want to own a platform problem that several teams depend on, like payments "
    "reliability, and a manager who gives me direct feedback and room to lead.",
    # Closing: a story not yet told.
    "Maybe one: I ran our on-call rotation review and cut pages by half; does that answer "
    "your question?",
    # Closing: questions for the interviewer.
    "Yes: how does the team decide what to work on each quarter, and how are on-call duties "
    "shared?",
)

AVERAGE: Final = (
    # Opening: current role.
    "I'm a backend developer at an online shop. I mostly work on the order services and fix bugs.",
    # A recent project.
    "We built a new checkout page last year. My role was the backend, I did a lot of the API "
    "work and it went well, customers liked it.",
    # Follow-up: what would have gone differently without you.
    "I wrote most of the API, so it would probably have taken longer.",
    # Ownership beyond the role.
    "Once a batch job from another team kept failing. It was not my job, but I looked into it "
    "and fixed it, and the result was that it failed less often.",
    # Work at risk of slipping.
    "We had a project that was running late, so we worked some extra hours and I talked to "
    "the manager about the deadline. In the end it was mostly fine.",
    # Follow-up: how people heard about the risk.
    "I told my manager in our one-on-one when it was clear we would not make it.",
    # A disagreement.
    "For example, I had a disagreement with a colleague about which framework to use. We "
    "discussed it and we went with his choice, which was okay.",
    # Follow-up: after the decision.
    "I used his framework and did not complain. It worked out fine.",
    # A difficult colleague.
    "There was a colleague who was hard to work with. I tried to understand him and we got "
    "along better after a while.",
    # Follow-up: what drove their behaviour.
    "I think he was under a lot of pressure from his manager.",
    # A mistake.
    "I once made a mistake in a release and we had to undo it. I learned to test more carefully.",
    # Critical feedback.
    "My manager told me I should speak up more in meetings, so I try to do that.",
    # Influence without authority.
    "I suggested we use a new testing library and showed the team a demo, and some people "
    "started using it.",
    # Follow-up: the proposal.
    "I just showed it in our team meeting and convinced a few people.",
    # Growing others.
    "I helped a new colleague get started and answered her questions.",
    # The biggest lesson.
    "I think the mistake taught me the most, because it was stressful.",
    # The next role.
    "I would like to work on bigger projects and learn new technologies.",
    # Follow-up: support from a manager.
    "Someone who gives me clear tasks and feedback.",
    # Closing: a story not yet told.
    "No, I think that covers it.",
    # Closing: questions for the interviewer.
    "What does a typical day look like?",
)

WEAK: Final = (
    # Opening: current role.
    "I'm a developer.",
    # A recent project.
    "I work on a lot of projects with my team, they are all interesting.",
    # Follow-up: what would have gone differently without you.
    "I don't know, everyone did their part.",
    # Ownership beyond the role.
    "I always do my best and I'm a hard worker.",
    # Work at risk of slipping.
    "I usually finish things on time, I never miss a deadline.",
    # Follow-up: how people heard about the risk.
    "I would just tell people.",
    # A disagreement.
    "I get along with everyone and I always listen, so that does not really happen to me.",
    # A difficult colleague.
    "Not really, everyone is nice.",
    # A mistake.
    "I can't think of anything specific, things usually go fine.",
    # Critical feedback.
    "People say I am nice to work with. I have learned a lot in my career.",
    # Influence without authority.
    "I usually just do what is decided.",
    # Growing others.
    "I help people if they ask me.",
    # The biggest lesson.
    "Nothing comes to mind.",
    # The next role.
    "A job with a good salary.",
)

PLANTED: Final[dict[str, tuple[str, ...]]] = {
    "strong": STRONG,
    "average": AVERAGE,
    "weak": WEAK,
}
