"""Images made on the spot with Pillow (and one PNG header written by hand, for the bomb)."""

import io
import struct
import zlib

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image


def image_bytes(size=(1200, 1800), fmt="JPEG", colour=(200, 40, 40), orientation=None, **save):
    image = Image.new("RGB", size, colour)
    # A marker in the top-left corner tells where the image's top-left ended up.
    image.paste((0, 0, 255), (0, 0, size[0] // 4, size[1] // 4))
    out = io.BytesIO()
    if orientation is not None:
        exif = Image.Exif()
        exif[0x0112] = orientation
        exif[0x010F] = "Test Camera Maker"
        save["exif"] = exif
    image.save(out, fmt, **save)
    return out.getvalue()


def png_header_only(width, height):
    """A PNG that claims `width` x `height`: Pillow reads the size without decoding a pixel."""

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\x00" * 16)) + chunk(b"IEND", b"")


def upload(data, name="poster.jpg", content_type="image/jpeg"):
    return SimpleUploadedFile(name, data, content_type=content_type)
