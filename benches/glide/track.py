# track.py FILE.npz : find marker blobs (saturated colour) in each distinct frame, match them between
# consecutive distinct frames, and report per-repaint displacement of moving markers.
import sys
import numpy as np
z = np.load(sys.argv[1]); F = z["frames"].astype(np.int16); fts = z["fts"]; ts = z["ts"]
ox, oy = z["origin"]
F[:, :max(0, 118 - oy), max(0, 690 - ox):] = 0  # blank the Whole fleet/Selection/Layers/Keys panel
SAT, AMIN, AMAX, RMATCH = 60, 12, 160, 8.0

def blobs(img):
    sat = img.max(2) - img.min(2)
    m = sat > SAT
    ys, xs = np.nonzero(m)
    lab = -np.ones(m.shape, np.int32); out = []
    for y0, x0 in zip(ys, xs):
        if lab[y0, x0] >= 0: continue
        stack = [(y0, x0)]; lab[y0, x0] = len(out); pts = []
        while stack:
            y, x = stack.pop(); pts.append((y, x))
            for dy in (-1, 0, 1):
                for dx in (-1, 0, 1):
                    yy, xx = y + dy, x + dx
                    if 0 <= yy < m.shape[0] and 0 <= xx < m.shape[1] and m[yy, xx] and lab[yy, xx] < 0:
                        lab[yy, xx] = len(out); stack.append((yy, xx))
        p = np.array(pts); w = sat[p[:, 0], p[:, 1]].astype(float)
        out.append((len(p), (p[:, 1] * w).sum() / w.sum(), (p[:, 0] * w).sum() / w.sum(),
                    p[:, 1].min() > 0 and p[:, 0].min() > 0 and p[:, 1].max() < m.shape[1]-1 and p[:, 0].max() < m.shape[0]-1))
    return [(a, x, y) for a, x, y, inside in out if AMIN <= a <= AMAX and inside]

B = [np.array(blobs(f)) for f in F]
# tracks: chain nearest-neighbour (mutual) matches between consecutive distinct frames
tracks = [[(0, b[1], b[2])] for b in B[0]]; open_ = {i: i for i in range(len(B[0]))}
for k in range(1, len(B)):
    prev, cur = B[k-1], B[k]; new_open = {}
    if len(prev) and len(cur):
        d = np.hypot(prev[:, None, 1] - cur[None, :, 1], prev[:, None, 2] - cur[None, :, 2])
        for i in range(len(prev)):
            j = d[i].argmin()
            if d[i, j] < RMATCH and d[:, j].argmin() == i and abs(prev[i, 0] - cur[j, 0]) <= 0.35 * max(prev[i, 0], cur[j, 0]) and i in open_:
                t = open_[i]; tracks[t].append((k, cur[j, 1], cur[j, 2])); new_open[j] = t
    for j in range(len(cur)):
        if j not in new_open:
            tracks.append([(k, cur[j, 1], cur[j, 2])]); new_open[j] = len(tracks) - 1
    open_ = new_open

steps, holds, jumps, moving = [], [], [], 0
per_track = []
for tr in tracks:
    if len(tr) < max(5, len(B) // 2): continue
    a = np.array(tr); net = np.hypot(a[-1, 1] - a[0, 1], a[-1, 2] - a[0, 2])
    if net < 1.0: continue  # count only markers that moved >= 1 px over the burst
    moving += 1
    dd = np.hypot(np.diff(a[:, 1]), np.diff(a[:, 2])); contiguous = np.diff(a[:, 0]) == 1
    dd = dd[contiguous]; steps += list(dd)
    tt = fts[a[:, 0].astype(int)]
    # hold: time a marker stays within 0.25 px before its next move
    mv = np.nonzero(np.hypot(np.diff(a[:, 1]), np.diff(a[:, 2])) > 0.25)[0]
    if len(mv) > 1: holds += list(np.diff(tt[mv + 1]))
    per_track.append((net / (tt[-1] - tt[0]), dd.max(), np.median(dd)))
    if '-v' in sys.argv and dd.max() > 1.5:
        full = np.hypot(np.diff(a[:, 1]), np.diff(a[:, 2]))
        for i in np.nonzero(full > 1.5)[0]:
            print(f"    big step {full[i]:.2f}px track at ({a[i,1]:.1f},{a[i,2]+oy:.1f})->({a[i+1,1]:.1f},{a[i+1,2]+oy:.1f}) frames {int(a[i,0])}->{int(a[i+1,0])} t={fts[int(a[i+1,0])]:.2f}s")
steps = np.array(steps); holds = np.array(holds)
dur = ts[-1]
print(f"{sys.argv[1]}: {len(ts)} grabs / {dur:.2f} s = {len(ts)/dur:.1f}/s; distinct frames {len(F)} = {len(F)/dur:.1f}/s")
print(f"  marker blobs/frame {np.mean([len(b) for b in B]):.0f}; tracked moving markers {moving}")
if moving:
    sp = np.array([p[0] for p in per_track])
    print(f"  marker speed px/s: median {np.median(sp):.2f} max {sp.max():.2f}")
    print(f"  displacement per distinct frame (px): median {np.median(steps):.2f} p90 {np.percentile(steps,90):.2f} p99 {np.percentile(steps,99):.2f} max {steps.max():.2f} (n={len(steps)})")
    print(f"  share of steps > 1.5 px: {np.mean(steps>1.5)*100:.1f}%  > 3 px: {np.mean(steps>3)*100:.1f}%")
    if len(holds): print(f"  time between moves (>0.25px) of a marker, s: median {np.median(holds):.3f} p90 {np.percentile(holds,90):.3f} max {holds.max():.3f}")
gaps = np.diff(fts)
print(f"  interval between distinct frames s: median {np.median(gaps):.3f} max {gaps.max():.3f}")
