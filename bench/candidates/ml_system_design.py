"""Planted candidates for the ``ml_system_design`` template (ranking a social feed).

Each tuple answers the template's fifteen main questions in order, from framing the objective
to the biggest risk, so that it reads as one interview: a strong candidate who covers data,
features, modelling, evaluation, serving and monitoring in depth, an average one who gives
sensible but shallow answers, and a weak one who stays vague.
"""

from __future__ import annotations

from typing import Final

STRONG: Final = (
    # pf_objective
    "Let me clarify the goal first. The business goal is long-term retention and user "
    "satisfaction, not raw clicks, so I would not optimise click-through rate alone because "
    "that rewards clickbait. The model would predict the probability of several engagement "
    "events per post: click, like, comment, share and dwell time over ten seconds, and the "
    "ranking score is a weighted sum of those predictions, a proxy objective whose weights "
    "product and data science agree on.",
    # pf_scope_and_scale
    "Assuming 200 million daily active users, each opening the feed about ten times a day, "
    "that is roughly 25k requests per second at peak. Each user has maybe 5,000 eligible "
    "posts, and the latency constraint is about 200 ms p99 for the whole ranking, so the "
    "expensive model can only score a few hundred candidates. Before any ML I would ship a "
    "chronological baseline plus a simple heuristic as the bar to beat.",
    # data_sources_and_labels
    "The data comes from impression and interaction logging: every impression with its "
    "position, and what the user did with it. Labels are implicit feedback, a click or like "
    "is a positive and an impression the user scrolled past is a negative, while posts that "
    "were never shown are not negatives at all. Explicit feedback such as hide this post is a "
    "strong negative label. Position bias is real, so I would log the position, correct with "
    "inverse propensity weights estimated from a small randomised slice, and filter bot "
    "traffic.",
    # data_pipeline_and_quality
    "A daily pipeline in Spark joins impressions with the interactions that follow them and "
    "with feature values as of the impression time, so the join is point-in-time correct; "
    "that is the main guard against label leakage, because a feature computed after the "
    "impression leaks the future. Positives are rare, so I use negative sampling and "
    "downsample negatives, then correct the calibration of the predicted probabilities. Data "
    "quality checks deduplicate events, watch null rates and drop users without consent under "
    "GDPR privacy rules.",
    # feat_feature_set
    "Features fall into four groups. User features: country, language, activity counts and a "
    "user embedding. Post feature and author feature: age of the post, media type, a text "
    "embedding and an image embedding, the author's follower count. Interaction feature and "
    "cross feature: how often this user engaged with this author in the last week, topic "
    "affinity, and the dot product of the two-tower embeddings. Counters are aggregates over "
    "1 hour, 1 day and 7 days, with log normalization; for cold start a new user gets "
    "popularity and locale features, and a new post its author's history.",
    # feat_feature_infrastructure
    "I would use a feature store with an offline store for training and an online store in "
    "Redis for serving, both filled by the same feature definitions. Batch features are "
    "computed daily, real-time counters by a streaming job on Kafka with freshness of a few "
    "seconds. Logging the exact feature values at serving time and training on those logs is "
    "the strongest protection against training-serving skew, and we compare the online and "
    "offline values of each feature to detect skew.",
    # model_architecture
    "It is a multi-stage system. Candidate generation uses several sources: a two-tower "
    "retrieval model that embeds users and posts, posts from followed accounts, and trending "
    "posts; together they return about a thousand candidates. A light ranker, a gradient "
    "boosting model such as LightGBM, cuts that to a few hundred, and the heavy ranking model "
    "is a deep learning multi-task neural network. A final re-ranking step applies diversity "
    "and integrity rules.",
    # model_training_setup
    "The ranker is multi-task: shared layers and one head per engagement event, each trained "
    "with log loss, so the outputs stay calibrated probabilities that we can combine; "
    "pairwise or listwise losses could rank slightly better but lose that calibration, which "
    "is the trade-off. Overfitting is controlled with regularization, dropout and early "
    "stopping on a validation set, with hyperparameter search offline. I would retrain daily "
    "and fine-tune incrementally every few hours, because content changes fast.",
    # eval_offline_metrics
    "Offline evaluation uses a time-based split: train on days 1 to 27, validate and test on "
    "the following days, never a random split because that leaks the future. Per head I look "
    "at AUC, log loss and calibration; for the list I use NDCG and MRR per user session, plus "
    "precision and recall at k for retrieval. I check each slice: new users, each country and "
    "small creators, and the offline metric must not regress on any important segment.",
    # eval_online_experiments
    "Offline metrics only decide what goes into an online A/B test. I randomise by user, with "
    "a control group on the current model and a treatment group on the new one. The primary "
    "metric is daily sessions per user, with guardrail metrics for hides, reports, latency "
    "and creator diversity. I size it with a power analysis for the sample size, run at least "
    "two weeks to let the novelty effect fade, and launch only if the result is statistically "
    "significant with a confidence interval clear of zero. Network effects between friends "
    "can bias it, so cluster randomisation helps; interleaving is faster for comparing "
    "rankers.",
    # serve_architecture
    "A feed request hits the feed service, which calls the retrieval sources in parallel: "
    "the two-tower user embedding is computed online and an approximate nearest neighbour "
    "search runs in a FAISS or HNSW vector index of post embeddings. Features are fetched from "
    "the online store, the ranking model runs on a model server doing inference with "
    "batching on GPU, and the ranked list is cached for a few minutes. Post embeddings are "
    "precomputed in batch.",
    # serve_latency_and_cost
    "First I measure where the p99 latency goes. Then: reduce the candidates the heavy ranker "
    "scores, distillation of the heavy model into a smaller student, quantization to int8, "
    "batching requests on the GPU and autoscaling on QPS. If the ranker misses its timeout "
    "there is a fallback to the light ranker's order, a graceful degradation rather than an "
    "empty feed. New models go through the model registry, run in shadow mode, then a canary "
    "at 1 percent with automatic rollback.",
    # mon_production_monitoring
    "Monitoring covers the system and the model: latency, errors and QPS on a dashboard; the "
    "feature distribution of each input and the prediction distribution against training, "
    "using PSI to detect data drift; and online metric trends such as click-through rate and "
    "calibration per slice. Concept drift shows up as calibration degrading even when inputs "
    "look the same, and the answer is retraining. An alert pages on-call when a feature goes "
    "null or predictions collapse, and a kill switch falls back to the previous model.",
    # mon_feedback_loops
    "The feedback loop is the big risk: the model only learns from what it showed, so it "
    "grows popularity bias and a filter bubble. I would spend a few percent of traffic on "
    "exploration, epsilon-greedy or a contextual bandit, and log propensities so that this "
    "data trains future models without bias. Diversity constraints in re-ranking, integrity "
    "classifiers and human review stop harmful content from being amplified, and regular "
    "error analysis feeds new features back into the pipeline.",
    # wu_biggest_risk
    "To summarise: the biggest risk is optimising a proxy that drifts away from user value, "
    "so the guardrail metrics matter most. For a first version in a month I would cut the "
    "multi-task heavy ranker and the bandit, ship retrieval plus the GBDT ranker on logged "
    "features, with an A/B test and drift monitoring from day one. Overall, data first, a "
    "simple model, then iterate. Does that make sense?",
)

AVERAGE: Final = (
    # pf_objective
    "I think the goal is engagement, so the model would predict whether the user clicks on a "
    "post, basically the click-through rate, and we sort by that.",
    # pf_scope_and_scale
    "Maybe 100 million users. The feed should load fast, so latency matters, maybe a few "
    "hundred ms.",
    # data_sources_and_labels
    "We would use the logs of what users clicked. A click is a positive label and a post "
    "that was shown but not clicked is a negative.",
    # data_pipeline_and_quality
    "A daily job builds the training table from the logs. There are many more negatives, so "
    "I would downsample them. We should be careful about leakage too.",
    # feat_feature_set
    "Features like the user's age and country, how old the post is, how many likes it has, "
    "and whether the user follows the author. Maybe an embedding of the text as well.",
    # feat_feature_infrastructure
    "We compute the features in a batch job and store them in a database so the model can "
    "read them when it serves.",
    # model_architecture
    "I would start with logistic regression and then try gradient boosting with XGBoost, "
    "which usually works well on tabular features.",
    # model_training_setup
    "Train it with log loss on the last month of data, and retrain every week. I would "
    "tune some hyperparameters.",
    # eval_offline_metrics
    "Offline I would look at AUC and maybe precision and recall on a test set.",
    # eval_online_experiments
    "Then run an A/B test against the current ranking and check whether clicks go up.",
    # serve_architecture
    "The model is deployed behind a serving API; the feed service sends the candidate posts "
    "and gets back scores, then sorts them.",
    # serve_latency_and_cost
    "We could add a cache for the scores and more servers, maybe use a GPU.",
    # mon_production_monitoring
    "I would monitor the click rate on a dashboard and retrain when it drops.",
    # mon_feedback_loops
    "The model only sees what it shows, so there could be some bias. We could add some "
    "random posts.",
    # wu_biggest_risk
    "The biggest risk is the data quality. For a first version I would ship the simple model.",
)

WEAK: Final = (
    # pf_objective
    "We want people to like the app more, so we use AI to show better posts.",
    # pf_scope_and_scale
    "It needs to handle a lot of users, so it should be big.",
    # data_sources_and_labels
    "We have lots of data from the app that we can use.",
    # data_pipeline_and_quality
    "We clean the data and put it in the model.",
    # feat_feature_set
    "The user and the post, and maybe the time.",
    # feat_feature_infrastructure
    "We save them in the database.",
    # model_architecture
    "A neural network, because they are the most powerful.",
    # model_training_setup
    "We train it until the accuracy is high.",
    # eval_offline_metrics
    "We check the accuracy on some data.",
    # eval_online_experiments
    "We release it and see if people like it.",
    # serve_architecture
    "The app calls the model on the server.",
    # serve_latency_and_cost
    "Buy bigger servers.",
    # mon_production_monitoring
    "We look at the results sometimes.",
    # mon_feedback_loops
    "I'm not sure, we can fix problems when users complain.",
    # wu_biggest_risk
    "Maybe it's too slow.",
)

PLANTED: Final[dict[str, tuple[str, ...]]] = {
    "strong": STRONG,
    "average": AVERAGE,
    "weak": WEAK,
}
