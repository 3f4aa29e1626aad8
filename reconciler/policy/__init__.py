"""Send windows in the recipient's own time: the policy pack (pack.yaml), the rules a
workspace adds or waives, where each recipient is, and the checks validate, plan and
apply make before any call."""
