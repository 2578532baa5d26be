"""Posters of the demo movies, drawn with Pillow (seed_demo): a gradient sky in the title's own
colours, a large disc, a skyline of blocks and the title set in the lower third."""

import colorsys
import io
import random
import textwrap
import zlib

from PIL import Image, ImageDraw, ImageFilter, ImageFont

WIDTH, HEIGHT = 720, 1080


def _rgb(hue, saturation, lightness):
    r, g, b = colorsys.hls_to_rgb(hue / 360, lightness, saturation)
    return int(r * 255), int(g * 255), int(b * 255)


def draw_poster(title, tagline=""):
    """JPEG bytes of a 720x1080 poster; the same title always gives the same picture."""
    seed = zlib.crc32(title.encode())
    rng = random.Random(seed)
    hue = seed % 360
    top, bottom = _rgb(hue, 0.55, 0.18), _rgb((hue + 40) % 360, 0.65, 0.55)
    image = Image.new("RGB", (WIDTH, HEIGHT))
    draw = ImageDraw.Draw(image)
    for y in range(HEIGHT):
        t = y / HEIGHT
        draw.line([(0, y), (WIDTH, y)], fill=tuple(int(a + (b - a) * t) for a, b in zip(top, bottom)))
    glow = Image.new("RGB", (WIDTH, HEIGHT))
    cx, cy, radius = rng.randint(200, 520), rng.randint(260, 420), rng.randint(120, 190)
    ImageDraw.Draw(glow).ellipse([cx - radius, cy - radius, cx + radius, cy + radius],
                                 fill=_rgb((hue + 180) % 360, 0.8, 0.7))
    image = Image.blend(image, glow.filter(ImageFilter.GaussianBlur(40)), 0.35)
    draw = ImageDraw.Draw(image)
    draw.ellipse([cx - radius * 0.7, cy - radius * 0.7, cx + radius * 0.7, cy + radius * 0.7],
                 fill=_rgb((hue + 180) % 360, 0.85, 0.78))
    x = 0
    while x < WIDTH:  # the skyline
        w, h = rng.randint(40, 110), rng.randint(120, 420)
        draw.rectangle([x, 760 - h, x + w, HEIGHT], fill=_rgb(hue, 0.4, 0.08 + rng.random() * 0.05))
        x += w + rng.randint(0, 12)
    draw.rectangle([0, 700, WIDTH, HEIGHT], fill=_rgb(hue, 0.35, 0.06))
    font = ImageFont.load_default(size=72)
    small = ImageFont.load_default(size=30)
    y = 760
    for line in textwrap.wrap(title.upper(), width=14):
        length = draw.textlength(line, font=font)
        draw.text(((WIDTH - length) / 2, y), line, font=font, fill=(245, 240, 230))
        y += 84
    if tagline:
        for line in textwrap.wrap(tagline, width=40)[:2]:
            length = draw.textlength(line, font=small)
            draw.text(((WIDTH - length) / 2, y + 16), line, font=small, fill=(200, 195, 185))
            y += 38
    out = io.BytesIO()
    image.save(out, "JPEG", quality=88)
    return out.getvalue()
