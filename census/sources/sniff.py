"""What a file really is, told by its bytes, not its name: web systems save HTML or tab-separated text as
".xls", an old .xls gets renamed ".xlsx", a Word document sits in the ledger folder. `sniff` reads the first
bytes (and, for a zip, its list of members) and says which reader to use, or why the file is no table at all.

Names decide only which files of a folder are looked at (`data_suffix`) and what a file that is plainly no
table is (`skip_reason`: a .docx, a PDF, a WPS .et workbook): those are listed as skipped, not read.
"""

from __future__ import annotations

import mmap
import zipfile
from dataclasses import dataclass
from pathlib import Path

from ..i18n import _

# what census reads (by name: the files of a folder that are looked at; the bytes then decide how)
SPREADSHEET = {".xlsx", ".xlsm", ".xls"}
DELIMITED = {".csv", ".txt", ".tsv"}
SPSS = {".sav", ".zsav"}
WEB = {".htm", ".html", ".mht", ".mhtml"}
SUPPORTED = SPREADSHEET | DELIMITED | SPSS | WEB

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MAGIC = b"PK\x03\x04"
_SAV_MAGIC = (b"$FL2", b"$FL3")
_HEAD = 65536

# formats `sniff` tells apart; the first six are read
XLSX, XLS, HTML, XML2003, TEXT, SAV = "xlsx", "xls", "html", "xml2003", "text", "sav"
READABLE = (XLSX, XLS, HTML, XML2003, TEXT, SAV)
RISKY = {SAV}  # read by a native library that a damaged file can crash (pyreadstat): never in the main process

# files of a folder that are no table, by name: the reason a clerk reads
_SKIP = {
    **dict.fromkeys((".doc", ".docx", ".wps", ".rtf", ".odt"), "Word/WPS 文字文档，不是表格"),
    **dict.fromkeys((".et", ".ett"), "WPS 表格文件（.et），census 不能直接读取：请在 WPS 中“另存为” .xlsx 后再读入"),
    **dict.fromkeys((".ods", ".xlsb", ".numbers"), "census 不能直接读取这种表格格式：请用 Excel 或 WPS 另存为 .xlsx 后再读入"),
    ".pdf": "PDF 文件，不是表格（扫描件或打印稿）",
    **dict.fromkeys((".jpg", ".jpeg", ".png", ".gif", ".bmp", ".tif", ".tiff", ".heic", ".webp"), "图片，不是表格"),
    **dict.fromkeys((".zip", ".rar", ".7z", ".gz", ".tar", ".tgz"), "压缩包：请先解压，再读入解压出的文件"),
    **dict.fromkeys((".ppt", ".pptx", ".dps"), "演示文稿，不是表格"),
}
_IGNORED_NAMES = {"thumbs.db", "desktop.ini"}  # written by Windows beside any file: not listed at all


def data_suffix(path: Path) -> bool:
    return path.suffix.lower() in SUPPORTED


def ignored(path: Path) -> bool:
    """Files nobody made: Office lock files (~$x.xlsx), hidden files, Windows' thumbnails."""
    return path.name.startswith(("~$", ".")) or path.name.lower() in _IGNORED_NAMES


def skip_reason(path: Path) -> str:
    """Why a file of a folder is not read (a file whose name says it is no table)."""
    reason = _SKIP.get(path.suffix.lower())
    if reason is not None:
        return _(reason)
    return _("census 不读取这类文件（它读取 .xlsx、.xls、.csv、.txt、.sav 和网页导出的表格）")


@dataclass(frozen=True)
class Sniffed:
    """`format`: one of READABLE, or None when the file cannot be read as a table; `reason` then says why
    (`table` False: it is some other kind of document, not a damaged table)."""

    format: str | None
    reason: str | None = None
    table: bool = True


def sniff(path: Path) -> Sniffed:
    """What the file at `path` is (OSError when it cannot be opened)."""
    with path.open("rb") as fh:
        head = fh.read(_HEAD)
    suffix = path.suffix.lower()
    if not head:
        return Sniffed(None, _("文件是空的：请从原系统重新导出"))
    if head.startswith(b"PK"):
        return _sniff_zip(path, suffix)
    if head.startswith(OLE_MAGIC):
        return _sniff_ole(path, suffix)
    if head.startswith(_SAV_MAGIC):
        return Sniffed(SAV)
    if head.startswith(b"%PDF"):
        return Sniffed(None, _("是 PDF 文件，不是表格"), table=False)
    if head.startswith((b"\x89PNG", b"\xff\xd8\xff", b"GIF8")) and suffix not in DELIMITED:
        return Sniffed(None, _("是图片，不是表格"), table=False)
    if head.startswith((b"Rar!", b"7z\xbc\xaf", b"\x1f\x8b")):
        return Sniffed(None, _("是压缩包：请先解压，再读入解压出的文件"), table=False)
    markup = _markup(head)
    if markup is not None:
        return Sniffed(markup)
    if not looks_like_text(head):
        return Sniffed(None, _("不是表格文件，也不是文本（内容是二进制数据）；请从原系统重新导出为 Excel 或 CSV"))
    return Sniffed(TEXT)


def _sniff_zip(path: Path, suffix: str) -> Sniffed:
    try:
        with zipfile.ZipFile(path) as zf:
            names = set(zf.namelist())
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        return Sniffed(None, _("工作簿已损坏或不完整（压缩包结构无法读取）：请用 Excel 或 WPS 打开后另存，或从原系统重新导出"))
    if "xl/workbook.xml" in names:
        return Sniffed(XLSX)
    if any(n.startswith("xl/") for n in names):
        return Sniffed(None, _("工作簿已损坏：缺少 xl/workbook.xml（工作表目录）；请用 Excel 或 WPS 打开修复后另存，或从原系统重新导出"))
    if "word/document.xml" in names:
        return Sniffed(None, _("是 Word 文档，不是表格"), table=False)
    if any(n.startswith("ppt/") for n in names):
        return Sniffed(None, _("是演示文稿，不是表格"), table=False)
    if suffix in SPREADSHEET:
        return Sniffed(None, _("工作簿已损坏：其中没有任何工作表；请用 Excel 或 WPS 打开修复后另存，或从原系统重新导出"))
    return Sniffed(None, _("是压缩包：请先解压，再读入解压出的文件"), table=False)


def _ole_streams(path: Path) -> set[str]:
    """Names of the streams a compound document (OLE2) is known to hold, found in its directory entries
    (UTF-16 names, wherever the directory sectors lie)."""
    wanted = {"Workbook": "Workbook", "Book": "Book", "EncryptedPackage": "EncryptedPackage",
              "WordDocument": "WordDocument", "PowerPoint Document": "PowerPoint Document"}
    found = set()
    with path.open("rb") as fh:
        try:
            with mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as mm:
                for key, name in wanted.items():
                    if mm.find(name.encode("utf-16-le") + b"\x00\x00") >= 0:
                        found.add(key)
        except ValueError:  # an empty file cannot be mapped
            pass
    return found


def _sniff_ole(path: Path, suffix: str) -> Sniffed:
    streams = _ole_streams(path)
    if "EncryptedPackage" in streams:
        return Sniffed(None, _("工作簿设置了打开密码（已加密）：请在 Excel 或 WPS 中取消密码（文件 → 信息 → 保护工作簿）后再读入"))
    if "WordDocument" in streams and not streams & {"Workbook", "Book"}:
        return Sniffed(None, _("是 Word 文档，不是表格"), table=False)
    if "PowerPoint Document" in streams and not streams & {"Workbook", "Book"}:
        return Sniffed(None, _("是演示文稿，不是表格"), table=False)
    return Sniffed(XLS)  # a workbook, or a damaged one: the reader says which


def _markup(head: bytes) -> str | None:
    """HTML (a web page, or a web system's "Excel" download), an Excel 2003 XML workbook, or a web archive
    (.mht: Excel's "single file web page"), by the first tags; None for anything else."""
    text = head.lstrip(b"\xef\xbb\xbf\xff\xfe\x00 \t\r\n").lower()
    if text.startswith(b"mime-version:") or b"content-type: multipart/related" in text[:4096]:
        return HTML if b"text/html" in text else None
    if b"\x00" in text[:200]:  # UTF-16 markup
        text = text.replace(b"\x00", b"")
    if not text.startswith(b"<"):
        return None
    if b"urn:schemas-microsoft-com:office:spreadsheet" in text and b"<?xml" in text[:200] and b"<html" not in text[:2000]:
        return XML2003
    if any(tag in text for tag in (b"<html", b"<table", b"<!doctype html", b"<body", b"<meta")):
        return HTML
    return None


def looks_like_text(sample: bytes) -> bool:
    """Whether `sample` is text in some encoding: few control bytes other than tab, line breaks and form feed
    (a stray NUL or two is damage inside a text file; UTF-16 text has a NUL in every other byte and a BOM)."""
    if not sample:
        return True
    if sample.startswith((b"\xff\xfe", b"\xfe\xff")):
        return True
    control = sum(sample.count(bytes([b])) for b in range(32) if b not in (9, 10, 12, 13, 26, 27))
    return control <= max(2, len(sample) // 100)


def risky(path: Path) -> bool:
    """Whether a native reader that a damaged file can crash would read this file (a .sav, by its bytes or
    its name): such files are read in a worker process, never in the main one."""
    try:
        with path.open("rb") as fh:
            head = fh.read(4)
    except OSError:
        return False
    return head in _SAV_MAGIC or (path.suffix.lower() in SPSS and not head.startswith((b"PK", OLE_MAGIC[:4])))
