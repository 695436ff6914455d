# grab.py DISPLAY X Y W H SECONDS OUT.npz : grab a screen region as fast as XGetImage allows
import ctypes, ctypes.util, sys, time
import numpy as np
disp_name, x, y, w, h, secs, out = sys.argv[1], *map(int, sys.argv[2:6]), float(sys.argv[6]), sys.argv[7]
interval = float(sys.argv[8]) if len(sys.argv) > 8 else 0.0  # seconds between grabs
X = ctypes.CDLL("libX11.so.6")
class XImage(ctypes.Structure):
    _fields_ = [("width", ctypes.c_int), ("height", ctypes.c_int), ("xoffset", ctypes.c_int),
                ("format", ctypes.c_int), ("data", ctypes.POINTER(ctypes.c_ubyte)),
                ("byte_order", ctypes.c_int), ("bitmap_unit", ctypes.c_int), ("bitmap_bit_order", ctypes.c_int),
                ("bitmap_pad", ctypes.c_int), ("depth", ctypes.c_int), ("bytes_per_line", ctypes.c_int),
                ("bits_per_pixel", ctypes.c_int)]
X.XOpenDisplay.restype = ctypes.c_void_p
X.XOpenDisplay.argtypes = [ctypes.c_char_p]
X.XDefaultRootWindow.restype = ctypes.c_ulong
X.XDefaultRootWindow.argtypes = [ctypes.c_void_p]
X.XGetImage.restype = ctypes.POINTER(XImage)
X.XGetImage.argtypes = [ctypes.c_void_p, ctypes.c_ulong, ctypes.c_int, ctypes.c_int, ctypes.c_uint, ctypes.c_uint, ctypes.c_ulong, ctypes.c_int]
X.XDestroyImage.argtypes = [ctypes.POINTER(XImage)]
d = X.XOpenDisplay(disp_name.encode())
root = X.XDefaultRootWindow(d)
frames, ts, fts, prev = [], [], [], None
t0 = time.monotonic()
while time.monotonic() - t0 < secs:
    im = X.XGetImage(d, root, x, y, w, h, 0xFFFFFFFF, 2)
    t = time.monotonic()
    bpl = im.contents.bytes_per_line
    buf = ctypes.string_at(im.contents.data, bpl * h)
    X.XDestroyImage(im)
    ts.append(t - t0)
    if interval: time.sleep(interval)
    if buf != prev:
        a = np.frombuffer(buf, np.uint8).reshape(h, bpl // 4, 4)[:, :w, 2::-1]  # BGRA -> RGB
        frames.append(a.copy()); fts.append(t - t0); prev = buf
np.savez(out, frames=np.stack(frames), fts=np.array(fts), ts=np.array(ts), origin=np.array([x, y]))
print(f"{len(ts)} grabs in {ts[-1]:.2f}s = {len(ts)/ts[-1]:.1f}/s; {len(frames)} distinct frames = {len(frames)/ts[-1]:.1f}/s")
