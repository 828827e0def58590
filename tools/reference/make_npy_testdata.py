#!/usr/bin/env python3
"""Writes the small NumPy-made .npy files that Tests/ConformanceTests/NumPyTests.swift reads
(committed under Tests/Data/npy; a few hundred bytes each). Re-run after changing them:

    python3 tools/reference/make_npy_testdata.py
"""
from pathlib import Path

import numpy as np

OUT = Path(__file__).resolve().parents[2] / "Tests" / "Data" / "npy"


def save(name, arr, version=None):
    with open(OUT / name, "wb") as f:
        np.lib.format.write_array(f, arr, version=version, allow_pickle=False)


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    base = np.arange(6).reshape(2, 3)
    save("f4_2x3.npy", (base * 0.5 - 1).astype("<f4"))
    save("f8_2x3.npy", (base * 0.25 - 0.5).astype("<f8"))
    save("f2_6.npy", np.array([0.0, -0.0, 2.0 ** -24, 65504.0, -np.inf, 1.5], dtype="<f2"))
    save("i1_4.npy", np.array([-128, -1, 0, 127], dtype="i1"))
    save("u1_4.npy", np.array([0, 1, 128, 255], dtype="u1"))
    save("i2_3.npy", np.array([-32768, 0, 32767], dtype="<i2"))
    save("u2_3.npy", np.array([0, 1, 65535], dtype="<u2"))
    save("i4_2x2.npy", np.array([[-(2 ** 31), -1], [0, 2 ** 31 - 1]], dtype="<i4"))
    save("u4_2.npy", np.array([0, 2 ** 32 - 1], dtype="<u4"))
    save("i8_3.npy", np.array([-(2 ** 40), 0, 2 ** 62], dtype="<i8"))
    save("b1_4.npy", np.array([True, False, False, True]))
    save("f4_v2.npy", (base * 0.5 - 1).astype("<f4"), version=(2, 0))
    save("f4_v3.npy", (base * 0.5 - 1).astype("<f4"), version=(3, 0))
    save("f4_scalar.npy", np.array(3.25, dtype="<f4"))
    save("f4_0x3.npy", np.zeros((0, 3), dtype="<f4"))
    save("f4_1x3x2x2.npy", np.arange(12, dtype="<f4").reshape(1, 3, 2, 2) / 8)
    # Rejected files
    save("bad_fortran.npy", np.asfortranarray((base * 0.5 - 1).astype("<f4")))
    save("bad_bigendian.npy", (base * 0.5 - 1).astype(">f4"))
    save("bad_structured.npy", np.zeros(2, dtype=[("a", "<f4"), ("b", "<i4")]))
    save("bad_complex.npy", np.zeros(2, dtype="<c8"))
    print(f"wrote {len(list(OUT.glob('*.npy')))} files to {OUT}")


if __name__ == "__main__":
    main()
