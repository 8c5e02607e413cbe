"""Where the model looks (issue 13): attention from the TSS, gradient x input, first-order vs
exact variant effects, additivity of single-variant effects, and their relation to chromatin
states, distance to the TSS and the eQTLs a model gets wrong.

Modules: `readout` (the benchmark's TSS value as a differentiable function), `attention`
(Enformer only), `contributions` (Enformer and Xpresso), `additivity` and `relate` (pure
numpy/pandas on tables); the workflow's jobs: `job` (rule interpret, per model and shard),
`summary` (rule interpretation_summary) and `plots` (rule report_interpretation). Import from
the modules; this package holds no code.
"""
