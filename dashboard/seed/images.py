"""Small synthetic documents drawn with Pillow: identity cards, selfies, letters, gift cards,
receipts and screenshots. Everything is rendered locally and deterministically (same inputs,
same bytes); JPEG files are a few kilobytes.
"""

from __future__ import annotations

import io
import random
import time
from datetime import date
from functools import lru_cache

from PIL import Image, ImageDraw, ImageFont

from dashboard.seed import clock

JPEG_QUALITY = 60


@lru_cache(maxsize=8)
def font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    return ImageFont.load_default(size=size)


def _jpeg(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=JPEG_QUALITY, optimize=True)
    return buffer.getvalue()


def _pdf(image: Image.Image, title: str) -> bytes:
    buffer = io.BytesIO()
    day = clock.AS_OF  # the data's day, never the wall clock: same seed and as-of, same bytes
    stamp = time.struct_time((day.year, day.month, day.day, 0, 0, 0, 0, 1, 0))
    image.convert("L").save(buffer, "PDF", resolution=72.0, title=title, author="", creator="",
                            producer="", creationDate=stamp, modDate=stamp)
    return buffer.getvalue()


def _avatar(draw: ImageDraw.ImageDraw, box: tuple[int, int, int, int], rng: random.Random) -> None:
    """A head-and-shoulders silhouette in ``box``."""
    x0, y0, x1, y1 = box
    w, h = x1 - x0, y1 - y0
    skin = rng.choice([(241, 194, 125), (224, 172, 105), (198, 134, 66), (141, 85, 36), (92, 58, 33)])
    hair = rng.choice([(40, 30, 20), (90, 60, 30), (20, 20, 20), (160, 120, 60), (110, 110, 110)])
    shirt = rng.choice([(40, 70, 140), (120, 40, 40), (50, 110, 70), (70, 70, 70), (200, 200, 210)])
    cx = x0 + w // 2
    draw.ellipse((cx - w * 0.42, y0 + h * 0.68, cx + w * 0.42, y1 + h * 0.35), fill=shirt)
    draw.ellipse((cx - w * 0.24, y0 + h * 0.14, cx + w * 0.24, y0 + h * 0.62), fill=hair)
    draw.ellipse((cx - w * 0.2, y0 + h * 0.2, cx + w * 0.2, y0 + h * 0.64), fill=skin)
    for dx in (-0.08, 0.08):
        draw.ellipse((cx + w * dx - 3, y0 + h * 0.38 - 3, cx + w * dx + 3, y0 + h * 0.38 + 3), fill=(30, 30, 30))
    draw.arc((cx - w * 0.08, y0 + h * 0.44, cx + w * 0.08, y0 + h * 0.54), 20, 160, fill=(120, 50, 50), width=2)


def _check_digit(text: str) -> str:
    values = {**{str(d): d for d in range(10)}, **{chr(65 + i): 10 + i for i in range(26)}, "<": 0}
    return str(sum(values[c] * (7, 3, 1)[i % 3] for i, c in enumerate(text)) % 10)


def mrz_lines(doc_type: str, country3: str, first: str, last: str, dob: date, number: str, expiry: date) -> list[str]:
    """Machine-readable zone lines (ICAO 9303: TD3 for passports, TD1 for cards)."""

    def clean(value: str) -> str:
        return "".join(c if c.isalnum() else "<" for c in value.upper().replace(" ", "<"))

    number = "".join(c for c in clean(number) if c != "<")[-9:].ljust(9, "<")
    born, ends = dob.strftime("%y%m%d"), expiry.strftime("%y%m%d")
    if doc_type == "PASSPORT":
        name = f"{clean(last)}<<{clean(first)}"
        return [f"P<{country3}{name}"[:44].ljust(44, "<"),
                f"{number}{_check_digit(number)}{country3}{born}{_check_digit(born)}<{ends}{_check_digit(ends)}".ljust(44, "<")]
    return [f"ID{country3}{number}{_check_digit(number)}".ljust(30, "<"),
            f"{born}{_check_digit(born)}<{ends}{_check_digit(ends)}{country3}".ljust(30, "<"),
            f"{clean(last)}<<{clean(first)}"[:30].ljust(30, "<")]


DOC_TITLES = {"PASSPORT": "PASSPORT", "DRIVER_LICENSE": "DRIVING LICENCE", "NATIONAL_ID": "NATIONAL IDENTITY CARD"}


def id_front(doc_type: str, country: str, first: str, last: str, dob: date, number: str, expiry: date,
             seed: int) -> bytes:
    rng = random.Random(seed)
    image = Image.new("RGB", (360, 228), rng.choice([(226, 236, 246), (236, 244, 228), (246, 236, 226)]))
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 0, 360, 34), fill=rng.choice([(20, 60, 120), (120, 30, 40), (20, 90, 60)]))
    draw.text((10, 9), f"{country}  {DOC_TITLES[doc_type]}", font=font(14), fill="white")
    photo = Image.new("RGB", (100, 130), (200, 205, 212))
    _avatar(ImageDraw.Draw(photo), (0, 0, 100, 130), rng)
    image.paste(photo, (12, 46))
    fields = [("Surname", last.upper()), ("Given names", first.upper()), ("Date of birth", dob.isoformat()),
              ("Document no.", number), ("Expires", expiry.isoformat())]
    for i, (label, value) in enumerate(fields):
        draw.text((126, 44 + i * 30), label, font=font(10), fill=(90, 90, 90))
        draw.text((126, 55 + i * 30), value[:28], font=font(13), fill=(10, 10, 10))
    draw.text((126, 198), f"{first[:1]}. {last}"[:24], font=font(15), fill=(40, 40, 90))  # signature
    return _jpeg(image)


def id_back(doc_type: str, country3: str, first: str, last: str, dob: date, number: str, expiry: date,
            seed: int) -> bytes:
    rng = random.Random(seed)
    image = Image.new("RGB", (360, 228), (238, 238, 232))
    draw = ImageDraw.Draw(image)
    x = 14
    while x < 346:  # a barcode strip
        width = rng.choice((1, 2, 3))
        draw.rectangle((x, 16, x + width - 1, 76), fill=(15, 15, 15))
        x += width + rng.choice((1, 2, 3))
    draw.text((14, 86), "Issuing authority: Civil Registry", font=font(11), fill=(60, 60, 60))
    for i, line in enumerate(mrz_lines(doc_type, country3, first, last, dob, number, expiry)):
        draw.text((14, 132 + i * 24), line, font=font(13), fill=(0, 0, 0))
    return _jpeg(image)


def selfie(seed: int) -> bytes:
    rng = random.Random(seed)
    image = Image.new("RGB", (240, 300), rng.choice([(210, 214, 220), (232, 226, 214), (200, 216, 226)]))
    _avatar(ImageDraw.Draw(image), (20, 30, 220, 290), rng)
    return _jpeg(image)


def _letter(lines: list[tuple[str, int]], seed: int) -> Image.Image:
    rng = random.Random(seed)
    image = Image.new("RGB", (420, 594), "white")
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 0, 420, 46), fill=rng.choice([(30, 80, 140), (40, 120, 80), (140, 60, 30)]))
    y = 64
    for text, size in lines:
        draw.text((28, y), text, font=font(size), fill=(20, 20, 20))
        y += size + 12
    for _ in range(6):  # table rows of a statement
        draw.line((28, y, 392, y), fill=(200, 200, 200))
        y += 22
    return image


def proof_of_address(name: str, address: str, city: str, issued: date, seed: int) -> bytes:
    lines = [("Utility bill — electricity", 16), (name, 13), (address[:48], 12), (city, 12),
             (f"Statement date: {issued.isoformat()}", 12), ("Amount due: see overleaf", 12)]
    return _pdf(_letter(lines, seed), "Proof of address")


def wealth_statement(name: str, balance: str, issued: date, seed: int) -> bytes:
    lines = [("Private banking — statement of assets", 16), (name, 13),
             (f"As of {issued.isoformat()}", 12), (f"Total assets: {balance}", 14),
             ("Source of funds: employment income, investments", 11)]
    return _pdf(_letter(lines, seed), "Wealth statement")


def gift_card(brand: str, color: tuple[int, int, int], face_value: str, code_tail: str, seed: int) -> bytes:
    rng = random.Random(seed)
    image = Image.new("RGB", (320, 200), (228, 224, 218))
    draw = ImageDraw.Draw(image)
    tilt = rng.randint(-6, 6)
    draw.rounded_rectangle((20 + tilt, 20, 300 + tilt, 180), 14, fill=color)
    draw.text((40 + tilt, 40), brand, font=font(22), fill="white")
    draw.text((40 + tilt, 90), face_value, font=font(18), fill="white")
    draw.text((40 + tilt, 140), f"XXXX-XXXX-XXXX-{code_tail}", font=font(13), fill=(245, 245, 245))
    return _jpeg(image)


def receipt(bank: str, name: str, amount: str, reference: str, seed: int) -> bytes:
    rng = random.Random(seed)
    image = Image.new("RGB", (300, 400), (252, 252, 250))
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 0, 300, 40), fill=rng.choice([(0, 70, 120), (90, 0, 60), (0, 100, 70)]))
    draw.text((14, 12), bank, font=font(14), fill="white")
    for i, (label, value) in enumerate([("Transfer confirmation", ""), ("From", name), ("Amount", amount),
                                        ("Reference", reference), ("Status", "Sent")]):
        draw.text((14, 60 + i * 44), label, font=font(11), fill=(100, 100, 100))
        draw.text((14, 76 + i * 44), value, font=font(14), fill=(10, 10, 10))
    return _jpeg(image)


def screenshot(message: str, seed: int) -> bytes:
    rng = random.Random(seed)
    image = Image.new("RGB", (400, 260), (245, 246, 248))
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 0, 400, 30), fill=(60, 64, 72))
    for i in range(3):
        draw.ellipse((10 + i * 16, 10, 20 + i * 16, 20), fill=[(230, 90, 80), (240, 190, 60), (90, 190, 90)][i])
    draw.rounded_rectangle((40, 80, 360, 180), 8, fill="white", outline=(220, 80, 70), width=2)
    draw.text((56, 96), "Something went wrong", font=font(15), fill=(200, 50, 40))
    draw.text((56, 126), message[:44], font=font(11), fill=(40, 40, 40))
    draw.text((56, 150), f"Error code {rng.randint(1000, 9999)}", font=font(11), fill=(120, 120, 120))
    return _jpeg(image)
