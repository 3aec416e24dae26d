"""What the personal-model test (tests/test_web_personal.py) teaches the page, which
scripts/bench_personal.py teaches the same way so that its numbers describe the tested
case: woman2.mp4 on the fake camera recorded as TAUGHT, and every face of PHOTOS
confirmed with the page's own label (CONFIRM_FACES, run in the page)."""

TAUGHT = "disgust"  # what the test calls woman2's face; the base model rarely does
PHOTOS = ["justin.jpg"] + [f"sample{i}.jpg" for i in range(1, 7)]

CONFIRM_FACES = """() => {
    // Every face of the photo shown, labelled with the page's own top-1 (the panel's
    // "Confirm", for each face rather than the main one).
    const { engine, personal, result } = window.emojiFer;
    const ctx = document.getElementById('photo').getContext('2d');
    const image = ctx.getImageData(0, 0, ctx.canvas.width, ctx.canvas.height);
    const inputs = engine.crops(image, result.faces); // aligned by each face's eyes, as the panel's own
    result.faces.forEach((f, i) => personal.add(f.top[0].label, inputs[i]));
    return result.faces.map((f) => f.top[0].label);
}"""
