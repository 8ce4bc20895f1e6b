"""The rollout library behind `slmconvert deploy`.

- ``gate``: promote / hold / stay on the LLM per cluster, the traffic schedule, fallback rules;
- ``savings``: LLM cost against the small model's serving cost, per cluster and in total;
- ``serve``: the vLLM multi-LoRA script and the LiteLLM router config;
- ``plan``: assembles the manifest; ``rollout``: its JSON Schema, validation and YAML/JSON text;
- ``render``: the terminal summary.
"""
