"""Comparative studies: grids of training runs, resumable results, and the report.

`keras-margin compare` is built from these pieces: a grid of `RunSpec`s (see
`presets`), `run_study` (trains the unfinished runs, appending each to
`results.jsonl` atomically) and `write_report` (tables with confidence intervals over
seeds, paired comparisons, figures, `report.md` / `report.html` / `results.csv`).
"""

from keras_margin.studies.presets import AUDIO_PRESETS
from keras_margin.studies.presets import PRESETS
from keras_margin.studies.presets import AudioPreset
from keras_margin.studies.presets import Preset
from keras_margin.studies.presets import TEXT_PRESETS
from keras_margin.studies.presets import TextPreset
from keras_margin.studies.presets import grid
from keras_margin.studies.report import write_report
from keras_margin.studies.results_file import ResultsFile
from keras_margin.studies.presets import GRID_STUDIES
from keras_margin.studies.run_spec import STUDIES
from keras_margin.studies.run_spec import RunSpec
from keras_margin.studies.study import RESULTS_FILE_NAME
from keras_margin.studies.study import run_study

__all__ = ["AUDIO_PRESETS", "AudioPreset", "GRID_STUDIES", "PRESETS", "Preset", "RESULTS_FILE_NAME", "STUDIES", "TEXT_PRESETS", "TextPreset", "ResultsFile", "RunSpec", "grid", "run_study", "write_report"]
