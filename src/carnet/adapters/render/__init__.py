"""Print-ready rendering: print items to PDF with reportlab, QR codes with segno.

:class:`PdfRenderer` implements the :class:`~carnet.services.ports.Renderer` port.
"""

from carnet.adapters.render.pdf import PdfRenderer

__all__ = ["PdfRenderer"]
