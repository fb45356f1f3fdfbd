# The two set-up commands: `make demo` and `make test`. Each builds .venv from the
# project's own files when it is missing or out of date.

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.kickgen-installed

.PHONY: demo audio train-demo test bench lint clean system-deps corpus model ship finetune report study hostlink

$(STAMP): pyproject.toml Makefile
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --upgrade pip
	# torch's CPU build lies on this machine's disk; pinning it keeps pip from a CUDA build.
	$(PY) -m pip install torch==2.13.0 "setuptools>=68,<81" wheel "cython>=0.29" "numpy>=1.24"
	# madmom 0.16.1 builds only against the already-installed Cython and numpy (DESIGN §2).
	$(PY) -m pip install --no-build-isolation madmom==0.16.1
	$(PY) -m pip install --no-build-isolation -e ".[train,plot,dev]"
	touch $(STAMP)

# The producer's install (README "Install"): renders, presets, variations and the bridge;
# neither torch nor madmom. `make demo` builds it; `make test` checks it stays that way.
PRODUCER_VENV := .venv-producer
PRODUCER_STAMP := $(PRODUCER_VENV)/.kickgen-installed

$(PRODUCER_STAMP): pyproject.toml
	@started=$$(date +%s); \
	test -x $(PRODUCER_VENV)/bin/python || $(PYTHON) -m venv $(PRODUCER_VENV); \
	$(PRODUCER_VENV)/bin/python -m pip install --quiet --upgrade pip && \
	$(PRODUCER_VENV)/bin/python -m pip install --quiet -e ".[plot]" && \
	echo "$$(( $$(date +%s) - started ))" > $(PRODUCER_STAMP)

# Audio stems need madmom's beat tracker, built as DESIGN §2 says (not needed with --bpm).
audio: $(PRODUCER_STAMP)
	$(PRODUCER_VENV)/bin/python -m pip install "setuptools>=68,<81" wheel "cython>=0.29"
	$(PRODUCER_VENV)/bin/python -m pip install --no-build-isolation madmom==0.16.1

DEMO_SONG := examples/demo-song
DEMO_OUT := out/demo
DEMO_PRESET ?= funk sixteenths

# Renders the example song with a factory preset: MIDI, the kick as WAV, a preview mix, a plot.
demo: $(PRODUCER_STAMP)
	@echo "producer install: $(PRODUCER_VENV), $$(du -sh $(PRODUCER_VENV) | cut -f1), installed in $$(cat $(PRODUCER_STAMP)) s; torch: $$($(PRODUCER_VENV)/bin/python -c 'import importlib.util as u; print("not installed" if u.find_spec("torch") is None else "INSTALLED")')"
	mkdir -p $(DEMO_OUT)
	$(PRODUCER_VENV)/bin/kickgen render $(DEMO_SONG)/song.mid --preset "$(DEMO_PRESET)" \
		--snare $(DEMO_SONG)/snare.flac --bass $(DEMO_SONG)/bass.flac \
		-o $(DEMO_OUT)/kick.mid --wav $(DEMO_OUT)/kick.wav --mix $(DEMO_OUT)/mix.wav \
		--plot $(DEMO_OUT)/kick.png --force
	@echo "demo: open $(DEMO_OUT)/mix.wav to hear it, $(DEMO_OUT)/kick.png to see it; $(DEMO_OUT)/kick.mid goes into a DAW"

# The host link's LV2 plugin (README "The host link"): hostlink/build/lv2/kickgen-hostlink.lv2.
hostlink: system-deps
	$(MAKE) -C hostlink

# Trains the tiny model for ~45 s on generated songs and shows what it learned.
train-demo: $(STAMP)
	$(PY) -m kickgen.engine.model.demo

# pytest exits 5 when it collects no tests; that fails here like any other failure.
test: $(STAMP) $(PRODUCER_STAMP) system-deps
	$(PY) -m pytest -q --durations=15; status=$$?; \
	if [ $$status -eq 5 ]; then echo "make test: pytest collected no tests" >&2; fi; \
	exit $$status

bench: $(STAMP)
	$(PY) benchmarks/train_throughput.py
	$(PY) benchmarks/feature_extraction.py
	$(PY) benchmarks/decoder_latency.py
	$(PY) benchmarks/corpus_throughput.py --run $(RUN)
	$(PY) benchmarks/render_speed.py
	$(PY) benchmarks/bridge_generation.py
	$(PY) benchmarks/bridge_jack.py
	$(PY) benchmarks/bridge_ardour.py
	$(MAKE) hostlink && $(PY) benchmarks/hostlink_block_time.py

# --- the shipped model's recipe: `make corpus`, then `make model` (docs/results.md) ---
KICKGEN := $(VENV)/bin/kickgen
CORPUS ?= data/corpus
FEATURES ?= data/features
RUN ?= runs/default
RESULTS := docs/results
TRAIN_EPOCHS ?= 14 24 40  # three cosine cycles: decay over epochs 1-14, then warm restarts (resumed) decaying to 24 and 40
FINETUNE_RUN ?= runs/finetune
FINETUNE_FROM ?= models/default
FINETUNE_EPOCHS ?= 32
FINETUNE_LR ?= 3e-4
TRAIN_FLAGS ?=  # more `kickgen train` options for `make model` and `make finetune`, e.g. --displace-kick 0.3
# Debian tools: mma and FluidSynth build the corpus (and its tests); JACK runs the bridge's
# end-to-end tests (ardour: the DAW of tests/bridge/test_ardour_e2e.py); gcc and the LV2 and
# JACK headers build the host link's plugin, which jalv loads in tests/hostlink.
APT_PACKAGES := mma fluidsynth fluid-soundfont-gm jackd2 jack-midi-clock ardour \
	gcc pkg-config lv2-dev libjack-jackd2-dev jalv lilv-utils sordi
# the corpus's further material: a second soundfont, real drum kits, human-written songs
CORPUS_PACKAGES := timgm6mb-soundfont hydrogen-drumkits freedoom

system-deps:
	@dpkg -s $(APT_PACKAGES) >/dev/null 2>&1 || (apt-get update && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y $(APT_PACKAGES))

corpus: $(STAMP) system-deps
	@dpkg -s $(CORPUS_PACKAGES) >/dev/null 2>&1 || (apt-get update && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y $(CORPUS_PACKAGES))
	$(KICKGEN) corpus build --out $(CORPUS) --songs 420 --seed 0 --jobs 2 --human-songs
	$(KICKGEN) corpus features --in $(CORPUS) --out $(FEATURES) --jobs 2

# No time limit: a cycle cut short would hand the next one a different schedule. An
# interrupted `make model` continues where it stopped when run again (a run's recipe is
# its own: the flags apply when it starts). The recipe is the model study's winners
# (docs/results.md): a bias-free mapping path and the downbeat as the bar's phase, each crop
# decoded from its mean code held over its 1024 frames (as a preset is used); then, from its
# last epoch, BOTH_EPOCHS in which the decoder reconstructs from the held code and from the
# code path in turn, so that it reads a song's own code path too (ground-truth codes), with
# best.pt chosen by validation F. Its random styles are drawn where its training songs'
# styles lie (`kickgen calibrate`). It ends with the run's bundle evaluated in both domains
# beside the shipped model's figures; `make ship` makes it the shipped model.
MODEL_FLAGS ?= --bilinear --downbeat-form bar_phase --decoder-code held --bf16 --validation $(FEATURES)/validation \
	--validate-every 4 --quiet
BOTH_EPOCHS ?= 2 6
BOTH_FLAGS ?= --decoder-code both --validation $(FEATURES)/validation --validate-every 1 --quiet
model: $(STAMP)
	for epochs in $(TRAIN_EPOCHS); do \
		$(KICKGEN) train --data $(FEATURES)/train --out $(RUN) --batch 32 --chunk-frames 1024 \
			--epochs $$epochs --final-lr-fraction 0.1 --std-weight 10 $(MODEL_FLAGS) $(TRAIN_FLAGS) \
			$$(test -f $(RUN)/checkpoint.pt && echo --resume) || exit 1; \
	done
	$(VENV)/bin/kickgen-export $(RUN)/checkpoint.pt --out $(RUN)/held-bundle --force
	for epochs in $(BOTH_EPOCHS); do \
		$(KICKGEN) train --data $(FEATURES)/train --out $(RUN)/both --init-from $(RUN)/held-bundle \
			--critic-warmup-steps 100 --batch 32 --chunk-frames 1024 --epochs $$epochs --lr 3e-4 \
			--final-lr-fraction 0.1 --std-weight 10 $(BOTH_FLAGS) $(TRAIN_FLAGS) \
			$$(test -f $(RUN)/both/checkpoint.pt && echo --resume) || exit 1; \
	done
	$(VENV)/bin/kickgen-export $(RUN)/both/best.pt --out $(RUN)/bundle --force
	$(KICKGEN) calibrate $(CORPUS) --model $(RUN)/bundle --features $(FEATURES) --quiet
	for domain in midi audio; do \
		$(KICKGEN) eval $(CORPUS) --model $(RUN)/bundle --domain $$domain --features $(FEATURES) \
			--json $(RUN)/eval-$$domain.json --force --quiet || exit 1; \
	done

# The trained run becomes the shipped model: bundle, factory presets and docs/results.md.
ship: $(STAMP)
	test -f $(RUN)/bundle/bundle.json
	rm -rf models/default && cp -r $(RUN)/bundle models/default
	$(MAKE) report

# Trains a model bundle further (default: the shipped one; a clean clone has no runs/):
# its CGAE weights, a fresh critic warmed up alone first, fresh optimizer state, a low
# rate. Exports the best epoch to $(FINETUNE_RUN)/bundle; compare it with `kickgen eval
# --model` before it replaces models/default (the session note of 2026-12-01 did).
finetune: $(STAMP)
	$(KICKGEN) train --data $(FEATURES)/train --out $(FINETUNE_RUN) --init-from $(FINETUNE_FROM) \
		--critic-warmup-steps 100 --batch 32 --chunk-frames 1024 --epochs $(FINETUNE_EPOCHS) \
		--lr $(FINETUNE_LR) --final-lr-fraction 0.1 --std-weight 10 $(TRAIN_FLAGS) \
		$$(test -f $(FINETUNE_RUN)/checkpoint.pt && echo --resume)
	$(VENV)/bin/kickgen-export $(FINETUNE_RUN)/best.pt --out $(FINETUNE_RUN)/bundle --force

# The model study (issue 20): every arm trains from scratch on the same songs for the same
# epochs, validating as it goes, then its best epoch is evaluated on the validation songs
# in both domains. `make study STUDY_ARMS="baseline bilinear"` runs some of them; a run
# that was stopped resumes. Arms: the shipped recipe, and each option the study weighs.
STUDY ?= runs/study
STUDY_EPOCHS ?= 8
STUDY_ARMS ?= baseline bilinear bar-phase part-dropout peak-warp paper-std all
STUDY_RECIPE := --batch 32 --chunk-frames 1024 --std-weight 10 --final-lr-fraction 0.1 --bf16 \
	--validation $(FEATURES)/validation --validate-every 2 --quiet
study: $(STAMP)
	for arm in $(STUDY_ARMS); do \
		case $$arm in \
			baseline) flags="";; \
			bilinear) flags="--bilinear";; \
			bar-phase) flags="--downbeat-form bar_phase";; \
			part-dropout) flags="--input-dropout-mode parts --input-dropout 0.25";; \
			peak-warp) flags="--warp-mode peaks";; \
			paper-std) flags="--std-loss-form paper --std-weight 1";; \
			all) flags="--bilinear --downbeat-form bar_phase --input-dropout-mode parts --input-dropout 0.25 --warp-mode peaks";; \
			*) echo "make study: no arm $$arm" >&2; exit 2;; \
		esac; \
		$(KICKGEN) train --data $(FEATURES)/train --out $(STUDY)/$$arm --epochs $(STUDY_EPOCHS) $(STUDY_RECIPE) \
			$$flags $$(test -f $(STUDY)/$$arm/checkpoint.pt && echo --resume) || exit 1; \
		$(VENV)/bin/kickgen-export $(STUDY)/$$arm/best.pt --out $(STUDY)/$$arm/bundle --force || exit 1; \
		for domain in midi audio; do \
			$(KICKGEN) eval $(CORPUS) --model $(STUDY)/$$arm/bundle --domain $$domain --features $(FEATURES) \
				--json $(STUDY)/$$arm/eval-$$domain.json --force --quiet || exit 1; \
		done; \
	done

report: $(STAMP)
	mkdir -p $(RESULTS)
	# the training run's curves, when this checkout trained the model (a clone keeps the committed ones)
	test ! -f $(RUN)/history.json || cp $(RUN)/losses.png $(RUN)/history.json $(RESULTS)/
	test ! -f $(RUN)/both/history.json || (cp $(RUN)/both/losses.png $(RESULTS)/losses-both.png && \
		cp $(RUN)/both/history.json $(RESULTS)/history-both.json)
	$(KICKGEN) eval $(CORPUS) --model models/default --domain midi --json $(RESULTS)/eval-midi.json \
		--tempo-png $(RESULTS)/tempo-midi.png --sampling-png $(RESULTS)/sampling-midi.png --sampling-songs all --force
	$(KICKGEN) eval $(CORPUS) --model models/default --domain audio --features $(FEATURES) \
		--json $(RESULTS)/eval-audio.json --tempo-png $(RESULTS)/tempo-audio.png \
		--sampling-png $(RESULTS)/sampling-audio.png --sampling-songs all --force
	$(KICKGEN) eval $(CORPUS) --split train --model models/default --domain midi \
		--json $(RESULTS)/eval-midi-train.json --force
	$(KICKGEN) corpus presets --in $(CORPUS) --out presets --model models/default --force
	$(KICKGEN) corpus report --results $(RESULTS) --out docs/results.md --corpus $(CORPUS) --model models/default \
		$$(test -d $(STUDY) && echo --study $(STUDY))

lint: $(STAMP)
	$(VENV)/bin/ruff check engine export bridge tests benchmarks examples

clean:
	rm -rf $(VENV) $(PRODUCER_VENV) build *.egg-info
	$(MAKE) -C hostlink clean
