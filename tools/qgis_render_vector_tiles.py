"""Run by Debian's python3 with QGIS's bindings (not the project's venv): load an XYZ vector-tile
URL as QGIS does for a user (`type=xyz&url=...{z}/{x}/{y}`), draw it over an extent with one colour
per 지목 class read from the tiles' attributes, and print what was drawn as JSON.

argv: tile URL template, xmin ymin xmax ymax (EPSG:3857), image size in pixels
"""
import faulthandler
import json
import os
import sys
from urllib.parse import quote

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from qgis.core import (QgsApplication, QgsCoordinateReferenceSystem, QgsFillSymbol, QgsMapRendererParallelJob,  # noqa: E402
                       QgsMapSettings, QgsRectangle, QgsVectorTileBasicRenderer, QgsVectorTileBasicRendererStyle,
                       QgsVectorTileLayer, QgsWkbTypes)
from qgis.PyQt.QtCore import QSize  # noqa: E402
from qgis.PyQt.QtGui import QColor  # noqa: E402

RED, BLUE = (255, 0, 0), (0, 0, 255)


def main() -> None:
    faulthandler.enable()
    template, xmin, ymin, xmax, ymax, size = sys.argv[1], *map(float, sys.argv[2:6]), int(sys.argv[6])
    QgsApplication.setPrefixPath("/usr", True)
    app = QgsApplication([], False)
    app.initQgis()
    layer = QgsVectorTileLayer(f"type=xyz&url={quote(template, safe=':/')}&zmin=0&zmax=22", "cadastre")
    out = {"valid": layer.isValid(), "zooms": [layer.sourceMinZoom(), layer.sourceMaxZoom()]}
    styles = []
    for name, expression, rgb in (("building sites", "\"JIMOK\" = '대'", RED), ("other land", "\"JIMOK\" <> '대'", BLUE)):
        style = QgsVectorTileBasicRendererStyle(name, "parcels", QgsWkbTypes.PolygonGeometry)
        style.setFilterExpression(expression)
        style.setSymbol(QgsFillSymbol.createSimple({"color": "%d,%d,%d,255" % rgb, "outline_style": "no"}))
        styles.append(style)
    renderer = QgsVectorTileBasicRenderer()
    renderer.setStyles(styles)
    layer.setRenderer(renderer)
    settings = QgsMapSettings()
    settings.setLayers([layer])
    settings.setDestinationCrs(QgsCoordinateReferenceSystem("EPSG:3857"))
    settings.setExtent(QgsRectangle(xmin, ymin, xmax, ymax))
    settings.setOutputSize(QSize(size, size))
    settings.setBackgroundColor(QColor(255, 255, 255))
    job = QgsMapRendererParallelJob(settings)
    job.start()
    job.waitForFinished()
    image = job.renderedImage()
    counts = {"red": 0, "blue": 0, "white": 0, "other": 0}
    for y in range(0, image.height(), 2):
        for x in range(0, image.width(), 2):
            c = QColor(image.pixel(x, y))
            rgb = (c.red(), c.green(), c.blue())
            key = {RED: "red", BLUE: "blue", (255, 255, 255): "white"}.get(rgb, "other")
            counts[key] += 1
    out.update(counts=counts, errors=[str(e.message) for e in job.errors()])
    print(json.dumps(out))
    app.exitQgis()


if __name__ == "__main__":
    main()
