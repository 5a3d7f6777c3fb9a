"""Label and barcode rendering: label data plus a format (sizes in mm) in, PDF bytes or ZPL text
out. A pure renderer with no Flask inside, so that the CLI and background jobs can use it.

Built by the labels issue; the foundation only reserves the package.
"""
