"""A minimal Standard MIDI File writer: one track of notes, for rendering with fluidsynth.

Only what the `instruments` dataset needs: a format-0 file (one track) with a tempo,
program changes, note on/off and "all sound off" events on one channel. The byte layout
follows the MIDI 1.0 Standard MIDI Files specification (MIDI Manufacturers
Association, 1996): an `MThd` header chunk, then an `MTrk` chunk whose events are each
preceded by a variable-length delta time.
"""

import dataclasses
import struct

# 1,000 ticks per quarter note at 1,000,000 microseconds per quarter note: one tick is
# one millisecond, so note times in seconds convert exactly.
TICKS_PER_QUARTER = 1000
MICROSECONDS_PER_QUARTER = 1_000_000
TICKS_PER_SECOND = TICKS_PER_QUARTER * 1_000_000 // MICROSECONDS_PER_QUARTER

_NOTE_OFF = 0x80
_NOTE_ON = 0x90
_CONTROL_CHANGE = 0xB0
_PROGRAM_CHANGE = 0xC0
_ALL_SOUND_OFF = 120


@dataclasses.dataclass(frozen=True)
class Note:
    """One note: General MIDI `program` (0-127) plays `pitch` (MIDI note number, 69 is
    A4 = 440 Hz) at `velocity` (1-127) from `start` for `duration` seconds; every sound
    is cut at `start + cut` seconds (a "sound off" controller, which ends the release
    tail so that it cannot reach the next note)."""

    program: int
    pitch: int
    velocity: int
    start: float
    duration: float
    cut: float

    def __post_init__(self):
        for name, low, high in (("program", 0, 127), ("pitch", 0, 127), ("velocity", 1, 127)):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
                raise ValueError(f"`{name}` must be an integer in [{low}, {high}]; received {value!r}.")
        if not (self.start >= 0 and 0 < self.duration <= self.cut):
            raise ValueError(
                "A note needs start >= 0 and 0 < duration <= cut; received "
                f"start={self.start!r}, duration={self.duration!r}, cut={self.cut!r}."
            )


def variable_length(value):
    """`value` (0 .. 0x0FFFFFFF) as a MIDI variable-length quantity: 7 bits per byte,
    most significant first, the top bit set on every byte but the last."""
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 0x0FFFFFFF:
        raise ValueError(f"`value` must be an integer in [0, 0x0FFFFFFF]; received {value!r}.")
    groups = [value & 0x7F]
    value >>= 7
    while value:
        groups.append((value & 0x7F) | 0x80)
        value >>= 7
    return bytes(reversed(groups))


def midi_file(notes, channel=0):
    """The bytes of a format-0 Standard MIDI File that plays `notes` on `channel`.

    Args:
        notes: iterable of `Note`; they may overlap. Each gets a program change just
            before its note-on.
        channel: MIDI channel 0-15 (9 is the General MIDI drum kit).

    Returns:
        `bytes`, ready to write to a `.mid` file.

    Example:

    >>> data = midi_file([Note(program=73, pitch=69, velocity=100, start=0.0,
    ...                        duration=0.5, cut=1.0)])
    >>> data[:4], len(data)
    (b'MThd', 50)
    """
    if isinstance(channel, bool) or not isinstance(channel, int) or not 0 <= channel <= 15:
        raise ValueError(f"`channel` must be an integer in [0, 15]; received {channel!r}.")
    events = []  # (tick, order, bytes): at one tick, sound-off before program before note-off/on.
    for note in notes:
        if not isinstance(note, Note):
            raise ValueError(f"`notes` must hold `Note`s; received {note!r}.")
        on, off, cut = (_ticks(note.start), _ticks(note.start + note.duration),
                        _ticks(note.start + note.cut))
        events.append((on, 1, bytes([_PROGRAM_CHANGE | channel, note.program])))
        events.append((on, 3, bytes([_NOTE_ON | channel, note.pitch, note.velocity])))
        events.append((off, 2, bytes([_NOTE_OFF | channel, note.pitch, 0])))
        events.append((cut, 0, bytes([_CONTROL_CHANGE | channel, _ALL_SOUND_OFF, 0])))
    events.sort(key=lambda event: (event[0], event[1]))

    tempo = MICROSECONDS_PER_QUARTER.to_bytes(3, "big")
    track = bytearray(b"\x00\xff\x51\x03" + tempo)  # delta 0, meta event "set tempo"
    now = 0
    for tick, _, message in events:
        track += variable_length(tick - now) + message
        now = tick
    track += b"\x00\xff\x2f\x00"  # end of track
    header = b"MThd" + struct.pack(">IHHH", 6, 0, 1, TICKS_PER_QUARTER)
    return header + b"MTrk" + struct.pack(">I", len(track)) + bytes(track)


def _ticks(seconds):
    return int(round(seconds * TICKS_PER_SECOND))
