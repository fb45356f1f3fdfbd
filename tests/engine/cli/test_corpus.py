"""`kickgen corpus`: an unknown style file is refused in one line."""



def test_corpus_build_refuses_an_unknown_style_in_one_line(tmp_path, kickgen, one_line_error):
    one_line_error(kickgen("corpus", "build", "--out", tmp_path / "c", "--styles", "casio/nope"), "casio/nope")
