"""Pure extraction: ``(bytes, url) -> Article``. No Scrapy import anywhere below this package."""

from .article import Article, Image, NotAnArticle
from .core import extract

__all__ = ["Article", "Image", "NotAnArticle", "extract"]
