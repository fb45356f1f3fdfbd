"""The training corpus: mma's groove library (`grooves`), songs built from it (`build`),
the corpus folder and its manifest (`manifest`), their feature files (`features`), and
generated songs with a known kick rule for tests and the demo (`synthetic`)."""
