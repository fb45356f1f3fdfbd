"""How good a model is: onset metrics, recall by metrical position, diversity and
plausibility, songs with known kicks, the paper's Table 1 (`table`) and studies
(`studies`), the `kickgen eval` run (`run`) and the results report (`report`)."""
