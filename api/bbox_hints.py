"""Recognise a bbox given in the wrong axis order or the wrong units, and say how to fix it.

The commonest bbox mistakes around Korea are lon,lat numbers sent with bbox-crs set to EPSG code
4326 (`LON_LAT`, which is latitude,longitude), lat,lon numbers sent as a plain (CRS84, lon,lat)
bbox, and degrees sent with a metric bbox-crs (`METRIC`, EPSG:5179), which would silently match
nothing.
Korea spans longitude ≈ 124–132 °E and latitude ≈ 33–39 °N, so either order is unmistakable.
"""
from __future__ import annotations

from zones.crs import CRS84, DEGREE_LIMIT, LON_LAT, in_korea


def _lon_lat_in_korea(a: float, b: float) -> bool:
    return bool(in_korea(a, b))


def axis_order_hint(nums: list[float], crs_epsg: str, crs_label: str, value: str) -> str | None:
    """A plain-words explanation when `nums` (the four bbox numbers as sent) look like the wrong
    axis order or units for the bbox CRS; None when they look right."""
    first, second = (nums[0], nums[1]), (nums[2], nums[3])
    if crs_epsg == LON_LAT:
        if _lon_lat_in_korea(*first) and _lon_lat_in_korea(*second):
            return (f"bbox {value!r} looks like longitude,latitude in Korea, but {LON_LAT} is latitude,longitude: "
                    f"swap the pairs (minLat,minLon,maxLat,maxLon = {nums[1]:g},{nums[0]:g},{nums[3]:g},{nums[2]:g}), "
                    f"or use CRS84 (lon,lat) by leaving out bbox-crs")
        return None
    if crs_epsg == CRS84:
        if _lon_lat_in_korea(first[1], first[0]) and _lon_lat_in_korea(second[1], second[0]):
            return (f"bbox {value!r} looks like latitude,longitude in Korea, but bbox (CRS84) is longitude,latitude: "
                    f"swap the pairs (minLon,minLat,maxLon,maxLat = {nums[1]:g},{nums[0]:g},{nums[3]:g},{nums[2]:g}), "
                    f"or add bbox-crs={LON_LAT} (lat,lon)")
        return None
    if all(abs(v) <= DEGREE_LIMIT for v in nums):
        return (f"bbox {value!r} looks like degrees, but bbox-crs is {crs_label}, in metres "
                f"(northing,easting); give metres in that CRS, or leave out bbox-crs for CRS84 "
                f"longitude,latitude degrees")
    return None
