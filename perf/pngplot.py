"""A small line-chart renderer that writes PNG files with the Python standard library only.

    import pngplot
    pngplot.chart("out.png", "title", [
        pngplot.Panel("RSS MiB", [pngplot.Series(xs, ys, pngplot.BLUE, "VmRSS")]),
        pngplot.Panel("MiB/s", [pngplot.Series(xs, ys2, pngplot.ORANGE, "input", width=1)]),
    ], xlabel="seconds", width=1000, height=680)

Panels are stacked vertically and share the x axis range. Each panel gets "nice" ticks,
gridlines, tick labels and a legend; text uses a built-in 5x7 bitmap font (ASCII letters, digits
and a little punctuation; anything else is drawn as a box). The image is an 8-bit RGB raster
compressed with zlib, so a white chart of 1000x680 pixels is a few tens of KB.
"""

from __future__ import annotations

import math
import struct
import zlib
from dataclasses import dataclass, field

Color = tuple[int, int, int]
WHITE: Color = (255, 255, 255)
BLACK: Color = (0, 0, 0)
GRID: Color = (225, 225, 225)
AXIS: Color = (90, 90, 90)
BLUE: Color = (31, 119, 180)
LIGHT_BLUE: Color = (160, 196, 225)
ORANGE: Color = (230, 120, 20)
LIGHT_ORANGE: Color = (250, 200, 150)
GREEN: Color = (44, 160, 44)
RED: Color = (214, 39, 40)
GREY: Color = (140, 140, 140)

# 5x7 glyphs: 7 rows of 5 bits (bit 4 = leftmost column), two hex digits per row; g j p q y
# have an 8th row (descender).
_FONT_HEX = {
    "0": "0E11131519110E", "1": "040C040404040E", "2": "0E11010204081F", "3": "1F02040201110E",
    "4": "02060A121F0202", "5": "1F101E0101110E", "6": "0608101E11110E", "7": "1F010204080808",
    "8": "0E11110E11110E", "9": "0E11110F01020C",
    "A": "0E1111111F1111", "B": "1E11111E11111E", "C": "0E11101010110E", "D": "1C12111111121C",
    "E": "1F10101E10101F", "F": "1F10101E101010", "G": "0E11101711110F", "H": "1111111F111111",
    "I": "0E04040404040E", "J": "0702020202120C", "K": "11121418141211", "L": "1010101010101F",
    "M": "111B1515111111", "N": "11111915131111", "O": "0E11111111110E", "P": "1E11111E101010",
    "Q": "0E11111115120D", "R": "1E11111E141211", "S": "0F10100E01011E", "T": "1F040404040404",
    "U": "1111111111110E", "V": "11111111110A04", "W": "1111111515150A", "X": "11110A040A1111",
    "Y": "1111110A040404", "Z": "1F01020408101F",
    "a": "00000E010F110F", "b": "1010161911111E", "c": "00000E1010110E", "d": "01010D1311110F",
    "e": "00000E111F100E", "f": "0609081C080808", "g": "00000F11110F010E", "h": "10101619111111",
    "i": "04000C0404040E", "j": "020006020202120C", "k": "10101214181412", "l": "0C04040404040E",
    "m": "00001A15151111", "n": "00001619111111", "o": "00000E1111110E", "p": "00001E11111E1010",
    "q": "00000F11110F0101", "r": "00001619101010", "s": "00000E100E011E", "t": "08081C08080906",
    "u": "0000111111130D", "v": "00001111110A04", "w": "0000111115150A", "x": "0000110A040A11",
    "y": "00001111110F010E", "z": "00001F0204081F",
    " ": "00000000000000", ".": "00000000000C0C", ",": "000000000C0408", ":": "000C0C000C0C00",
    ";": "000C0C000C0408", "-": "0000001F000000", "+": "0004041F040400", "/": "00010204081000",
    "%": "18190204081303", "(": "02040808080402", ")": "08040202020408", "=": "00001F001F0000",
    "_": "0000000000001F", "~": "00000815020000", "<": "02040810080402", ">": "08040201020408",
    "|": "04040404040404", "'": "04040800000000", "*": "00040A1F0A0400", "#": "0A0A1F0A1F0A0A",
    "[": "0E08080808080E", "]": "0E02020202020E", "?": "0E110102040004", "!": "04040404000004",
    "@": "0E11010D15150E", "&": "0C12140815120D", '"': "0A0A0000000000",
}
_FONT = {ch: [int(h[i:i + 2], 16) for i in range(0, len(h), 2)]
         for ch, h in _FONT_HEX.items()}
_BOX = [0x1F, 0x11, 0x11, 0x11, 0x11, 0x11, 0x1F]


class Canvas:
    """An RGB raster with pixel, line, rectangle and text drawing."""

    def __init__(self, width: int, height: int, bg: Color = WHITE):
        self.w, self.h = width, height
        self.px = bytearray(bytes(bg) * (width * height))

    def set(self, x: int, y: int, c: Color) -> None:
        if 0 <= x < self.w and 0 <= y < self.h:
            i = 3 * (y * self.w + x)
            self.px[i:i + 3] = bytes(c)

    def fill(self, x0: int, y0: int, x1: int, y1: int, c: Color) -> None:
        """Fills the rectangle [x0, x1] x [y0, y1] (inclusive, clipped)."""
        x0, x1 = max(0, min(x0, x1)), min(self.w - 1, max(x0, x1))
        y0, y1 = max(0, min(y0, y1)), min(self.h - 1, max(y0, y1))
        if x0 > x1 or y0 > y1:
            return
        row = bytes(c) * (x1 - x0 + 1)
        for y in range(y0, y1 + 1):
            i = 3 * (y * self.w + x0)
            self.px[i:i + len(row)] = row

    def line(self, x0: int, y0: int, x1: int, y1: int, c: Color, width: int = 1,
             dash: int = 0) -> None:
        """Bresenham; width > 1 draws a square pen; dash > 0 draws dash-pixel on/off runs."""
        dx, dy = abs(x1 - x0), -abs(y1 - y0)
        sx, sy = (1 if x0 < x1 else -1), (1 if y0 < y1 else -1)
        err, n = dx + dy, 0
        lo, hi = -((width - 1) // 2), width // 2
        while True:
            if not dash or (n // dash) % 2 == 0:
                if width == 1:
                    self.set(x0, y0, c)
                else:
                    self.fill(x0 + lo, y0 + lo, x0 + hi, y0 + hi, c)
            n += 1
            if x0 == x1 and y0 == y1:
                return
            e2 = 2 * err
            if e2 >= dy:
                err += dy
                x0 += sx
            if e2 <= dx:
                err += dx
                y0 += sy

    def rect(self, x0: int, y0: int, x1: int, y1: int, c: Color) -> None:
        self.fill(x0, y0, x1, y0, c)
        self.fill(x0, y1, x1, y1, c)
        self.fill(x0, y0, x0, y1, c)
        self.fill(x1, y0, x1, y1, c)

    @staticmethod
    def text_width(s: str, scale: int = 1) -> int:
        return len(s) * 6 * scale - scale if s else 0

    def text(self, x: int, y: int, s: str, c: Color = BLACK, scale: int = 1,
             anchor: str = "left", vertical: bool = False) -> None:
        """Draws s with its top-left at (x, y); anchor left|center|right moves it along the
        text direction. vertical draws it bottom-to-top (for y axis titles)."""
        tw = self.text_width(s, scale)
        shift = {"left": 0, "center": tw // 2, "right": tw}[anchor]
        for k, ch in enumerate(s):
            rows = _FONT.get(ch, _BOX)
            for r, bits in enumerate(rows):
                for col in range(5):
                    if bits & (0x10 >> col):
                        u, v = k * 6 * scale + col * scale, r * scale
                        if vertical:
                            px, py = x + v, y + shift - u - scale + 1
                        else:
                            px, py = x - shift + u, y + v
                        self.fill(px, py, px + scale - 1, py + scale - 1, c)

    def png(self) -> bytes:
        def chunk(tag: bytes, data: bytes) -> bytes:
            return (struct.pack(">I", len(data)) + tag + data +
                    struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF))
        stride = 3 * self.w
        raw = b"".join(b"\x00" + bytes(self.px[y * stride:(y + 1) * stride])
                       for y in range(self.h))
        ihdr = struct.pack(">IIBBBBB", self.w, self.h, 8, 2, 0, 0, 0)  # 8-bit RGB
        return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) +
                chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b""))

    def save(self, path: str) -> None:
        with open(path, "wb") as f:
            f.write(self.png())


def nice_ticks(lo: float, hi: float, target: int = 6) -> list[float]:
    """Round tick values (1, 2, 2.5, 5 x 10^k steps) covering [lo, hi]."""
    if not (math.isfinite(lo) and math.isfinite(hi)):
        return [0.0, 1.0]
    if hi <= lo:
        hi = lo + (abs(lo) * 0.1 or 1.0)
    raw = (hi - lo) / max(1, target)
    mag = 10 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw)
    first = math.floor(lo / step) * step
    ticks = []
    v = first
    while v < hi + step * 0.999:
        ticks.append(round(v, 10))
        v += step
    return ticks


def fmt_tick(v: float, step: float) -> str:
    """v with as many decimals as the tick step needs (thousands separated)."""
    d = 0
    while d < 6 and abs(step * 10 ** d - round(step * 10 ** d)) > 1e-9:
        d += 1
    return f"{v:,.{d}f}"


@dataclass
class Series:
    xs: list[float]
    ys: list[float]
    color: Color
    label: str = ""
    width: int = 2
    dash: int = 0


@dataclass
class Panel:
    ylabel: str
    series: list[Series]
    ymin: float | None = 0.0     # None: from the data
    ymax: float | None = None
    note: str = ""                # a line of text at the panel's top right
    hlines: list[tuple[float, Color]] = field(default_factory=list)  # dashed, at y
    vlines: list[tuple[float, Color]] = field(default_factory=list)  # dashed, at x


def chart(path: str, title: str, panels: list[Panel], xlabel: str = "",
          width: int = 1000, height: int = 680, subtitle: str = "") -> None:
    """Writes a PNG of stacked panels; subtitle may hold several lines ("\n")."""
    cv = Canvas(width, height)
    subs = subtitle.split("\n") if subtitle else []
    left, right, top, bottom = 78, 24, 44 + 12 * len(subs), 44
    gap = 34
    cv.text(width // 2, 10, title, BLACK, scale=2, anchor="center")
    for k, line in enumerate(subs):
        cv.text(width // 2, 32 + 12 * k, line, AXIS, anchor="center")
    xs_all = [x for p in panels for s in p.series for x in s.xs]
    x0, x1 = (min(xs_all), max(xs_all)) if xs_all else (0.0, 1.0)
    xt = nice_ticks(x0, x1, 10)
    if xt[-1] - x1 > 0.03 * (x1 - x0):   # no mostly empty last step: end at the data
        xt = [v for v in xt if v <= x1]
    x0, x1 = min(x0, xt[0]), max(x1, xt[-1])
    ph = (height - top - bottom - gap * (len(panels) - 1)) // max(1, len(panels))
    pw = width - left - right
    for k, p in enumerate(panels):
        py0 = top + k * (ph + gap)
        py1 = py0 + ph
        ys_all = [y for s in p.series for y in s.ys if math.isfinite(y)]
        ys_all += [v for v, _ in p.hlines]
        lo = p.ymin if p.ymin is not None else (min(ys_all) if ys_all else 0.0)
        hi = p.ymax if p.ymax is not None else (max(ys_all) * 1.08 if ys_all else 1.0)
        if p.ymin is None and ys_all:
            lo -= (hi - lo) * 0.05
        yt = nice_ticks(lo, hi, 5)
        lo, hi = yt[0], yt[-1]
        ystep = yt[1] - yt[0] if len(yt) > 1 else 1.0
        xstep = xt[1] - xt[0] if len(xt) > 1 else 1.0

        def X(x: float) -> int:
            return left + round((x - x0) / ((x1 - x0) or 1) * pw)

        def Y(y: float) -> int:
            return py1 - round((y - lo) / ((hi - lo) or 1) * ph)

        for v in yt:
            cv.fill(left, Y(v), left + pw, Y(v), GRID)
            cv.text(left - 6, Y(v) - 3, fmt_tick(v, ystep), AXIS, anchor="right")
        for v in xt:
            cv.fill(X(v), py0, X(v), py1, GRID)
            cv.fill(X(v), py1, X(v), py1 + 4, AXIS)
            cv.text(X(v), py1 + 7, fmt_tick(v, xstep), AXIS, anchor="center")
        cv.text(8, (py0 + py1) // 2, p.ylabel, BLACK, anchor="center", vertical=True)
        for v, c in p.hlines:
            cv.line(left, Y(v), left + pw, Y(v), c, 1, dash=6)
        for v, c in p.vlines:
            cv.line(X(v), py0, X(v), py1, c, 1, dash=4)
        for s in p.series:
            pts = [(X(x), Y(y)) for x, y in zip(s.xs, s.ys) if math.isfinite(y)]
            for (ax, ay), (bx, by) in zip(pts, pts[1:]):
                cv.line(ax, ay, bx, by, s.color, s.width, s.dash)
            if len(pts) == 1:
                cv.fill(pts[0][0] - 1, pts[0][1] - 1, pts[0][0] + 1, pts[0][1] + 1, s.color)
        cv.rect(left, py0, left + pw, py1, AXIS)
        # legend, top left inside the panel
        lx, ly = left + 10, py0 + 8
        for s in p.series:
            if not s.label:
                continue
            cv.fill(lx, ly + 2, lx + 16, ly + 4, s.color)
            cv.text(lx + 22, ly, s.label, BLACK)
            lx += 22 + cv.text_width(s.label) + 18
        if p.note:
            cv.text(left + pw - 8, py0 + 8, p.note, BLACK, anchor="right")
    if xlabel:
        cv.text(left + pw // 2, height - 16, xlabel, BLACK, anchor="center")
    cv.save(path)
