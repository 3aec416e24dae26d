"""Chromium's fake camera: the flags that make it play a file, video frames fitted to a
640x480 webcam's 4:3 picture, and the Y4M (I420) files it plays in a loop."""


def camera_flags(y4m, allow=True):
    """Chromium flags for a fake camera playing `y4m`; allow=False leaves the permission
    prompt in place (headless Chromium driven by Playwright then denies it)."""
    flags = ["--use-fake-device-for-media-stream", f"--use-file-for-fake-video-capture={y4m}"]
    return flags + (["--use-fake-ui-for-media-stream"] if allow else [])


def fit_4_3(bgr, size=(640, 480)):
    """A video frame as a 4:3 webcam shows it: centre crop to 4:3, resized to `size`."""
    import cv2

    h, w = bgr.shape[:2]
    if w * 3 > h * 4:
        cw = h * 4 // 3
        bgr = bgr[:, (w - cw) // 2:(w - cw) // 2 + cw]
    return cv2.resize(bgr, size, interpolation=cv2.INTER_AREA)


def video_frames(video, every=1, limit=None):
    """(index, BGR frame at 640x480) for every `every`-th frame of a video file."""
    import cv2

    cap = cv2.VideoCapture(str(video))
    index, count = 0, 0
    try:
        while limit is None or count < limit:
            ok, bgr = cap.read()
            if not ok:
                break
            if index % every == 0:
                yield index, fit_4_3(bgr)
                count += 1
            index += 1
    finally:
        cap.release()


def write_y4m(video, out, frames=150, fps=30):
    """Write the first `frames` frames of `video` as a 640x480 Y4M (I420) file played at
    `fps` frames/s, the format Chromium's --use-file-for-fake-video-capture plays (in a loop)."""
    import cv2

    n = 0
    with open(out, "wb") as f:
        f.write(f"YUV4MPEG2 W640 H480 F{fps}:1 Ip A1:1 C420jpeg\n".encode())
        for _, bgr in video_frames(video, limit=frames):
            f.write(b"FRAME\n" + cv2.cvtColor(bgr, cv2.COLOR_BGR2YUV_I420).tobytes())
            n += 1
    if n == 0:
        raise RuntimeError(f"no frames could be read from {video}")
    return out
