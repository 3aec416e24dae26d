"""Research tools: experiments that informed the training recipe's choices, not part of
`python -m train`. Each is a command of its own, and docs/experiments.md records what it
found:

- `python -m train.research.ensemble A.keras B.keras ...`: would an ensemble of trained
  models be worth distilling (train/distill.py)? Each model's accuracy and their mean's.
- `python -m train.research.swa_windows MODEL.keras --windows ...`: which SWA window
  (the last K, 3K/4, K/2 or K/4 epochs that `--swa-epochs K` kept sums of) to ship.
"""
