"""The Standard MIDI File writer, byte for byte against the SMF 1.0 specification."""

import pytest

from keras_margin.data.sources import midi


@pytest.mark.parametrize("value, expected", [
    # The examples of the specification's variable-length quantity table.
    (0x00, b"\x00"), (0x40, b"\x40"), (0x7F, b"\x7f"), (0x80, b"\x81\x00"),
    (0x2000, b"\xc0\x00"), (0x3FFF, b"\xff\x7f"), (0x4000, b"\x81\x80\x00"),
    (0x100000, b"\xc0\x80\x00"), (0x1FFFFF, b"\xff\xff\x7f"), (0x200000, b"\x81\x80\x80\x00"),
    (0x08000000, b"\xc0\x80\x80\x00"), (0x0FFFFFFF, b"\xff\xff\xff\x7f"),
])
def test_variable_length_quantities_match_the_specification(value, expected):
    assert midi.variable_length(value) == expected


def test_one_note_file_is_the_expected_bytes():
    data = midi.midi_file([midi.Note(program=73, pitch=69, velocity=100, start=0.0,
                                     duration=0.5, cut=1.0)], channel=2)
    track = (
        b"\x00\xff\x51\x03\x0f\x42\x40"  # tempo: 1,000,000 us per quarter
        b"\x00\xc2\x49"                  # program change, channel 2, program 73
        b"\x00\x92\x45\x64"              # note on A4 (69), velocity 100
        b"\x83\x74\x82\x45\x00"          # 500 ticks (= 500 ms) later: note off
        b"\x83\x74\xb2\x78\x00"          # 500 ms later: controller 120, all sound off
        b"\x00\xff\x2f\x00"              # end of track
    )
    header = b"MThd\x00\x00\x00\x06\x00\x00\x00\x01\x03\xe8"  # format 0, 1 track, 1000 ticks/quarter
    assert data == header + b"MTrk" + len(track).to_bytes(4, "big") + track


def test_events_are_in_time_order_with_relative_deltas():
    notes = [midi.Note(5, 60, 90, start=1.0, duration=0.25, cut=0.5),
             midi.Note(9, 62, 80, start=0.0, duration=0.25, cut=0.5)]
    track = midi.midi_file(notes)[22:]
    # Second note (start 0) first: program 9 at delta 0; the first note's program 5
    # comes 1,000 ticks after the start, i.e. 500 after the earlier note's sound-off.
    assert track.startswith(b"\x00\xff\x51\x03\x0f\x42\x40\x00\xc0\x09\x00\x90\x3e\x50")
    assert b"\x83\x74\xc0\x05\x00\x90\x3c\x5a" in track


@pytest.mark.parametrize("arguments, name", [
    (dict(program=128), "program"), (dict(pitch=-1), "pitch"), (dict(velocity=0), "velocity"),
    (dict(program=True), "program"), (dict(duration=2.0), "duration"),
])
def test_bad_notes_are_rejected(arguments, name):
    values = dict(program=0, pitch=60, velocity=64, start=0.0, duration=0.5, cut=1.0) | arguments
    with pytest.raises(ValueError, match=name):
        midi.Note(**values)


def test_bad_arguments_are_rejected():
    with pytest.raises(ValueError, match="`channel`"):
        midi.midi_file([], channel=16)
    with pytest.raises(ValueError, match="`notes`"):
        midi.midi_file([(0, 60, 64)])
    with pytest.raises(ValueError, match="`value`"):
        midi.variable_length(0x10000000)
