"""The admin app: the latest corrections as a gallery of the stored 48x48 crops, with
delete, served behind a login (emoji_fer.app.server.serve mounts it at ADMIN_PATH)."""

import gradio as gr

from emoji_fer.app.files import process_folder
from emoji_fer.feedback import FeedbackError, StoreUnavailable


ADMIN_USER = "admin"
ADMIN_PATH = "/admin"
ADMIN_PASSWORD_ENV = "EMOJI_FER_ADMIN_PASSWORD"


def admin_app(desk):
    """The admin app (served behind a login at ADMIN_PATH): the latest corrections as a
    gallery of the stored crops, "predicted -> given" and id, with delete. API:
    /corrections, /delete (row id). The Blocks' `thumbnails` is the private folder of
    the gallery's images, which only this app serves (serve)."""
    thumbnails = str(process_folder("emoji_fer-admin"))  # mode 0700; a stopped server's goes when the next starts

    def corrections():
        try:
            items, ids = desk.corrections(thumbnails)
        except StoreUnavailable as err:
            raise gr.Error(str(err)) from None
        text = f"The {len(ids)} latest corrections, newest first." if ids else "No corrections yet."
        return items, ids, text

    def select(ids, evt: gr.SelectData):
        return str(ids[evt.index])

    def delete(row_id):
        try:
            message = desk.delete(row_id)
        except (FeedbackError, StoreUnavailable) as err:
            raise gr.Error(str(err)) from None
        items, ids, _ = corrections()  # also removes the deleted face's thumbnail
        return items, ids, message, ""

    with gr.Blocks(title="Emoji the Possibilities: admin") as admin:
        gr.Markdown("# Latest corrections\nFaces users corrected: the crop the model saw (48x48), "
                    "*predicted -> given*, and the row's id. Select one to delete its row from the store.")
        gallery = gr.Gallery(label="Latest corrections", columns=8, height="auto", format="png",
                             object_fit="contain", allow_preview=False)
        # Gradio serves a gallery's files from the component's cache folder: this one's is
        # the private folder (the public app's cache is served to anyone with the URL).
        gallery.GRADIO_CACHE = thumbnails
        ids = gr.State([])
        with gr.Row(equal_height=True):
            # A textbox, not gr.Number, which would show an empty selection as 0.
            selected = gr.Textbox(label="Selected id", placeholder="select a face above, or type its id")
            remove = gr.Button("Delete this row", variant="stop")
            refresh = gr.Button("Refresh")
        status = gr.Markdown()
        gr.on([admin.load, refresh.click], corrections, outputs=[gallery, ids, status], api_name="corrections")
        gallery.select(select, ids, selected, api_name=False)
        remove.click(delete, selected, [gallery, ids, status, selected], api_name="delete")
    admin.thumbnails = thumbnails
    return admin


def password_check(password):
    """Gradio's auth callable: user ADMIN_USER and `password`, compared in constant time."""
    import hmac

    def check(user, given):
        return hmac.compare_digest(user.encode(), ADMIN_USER.encode()) & \
            hmac.compare_digest(given.encode(), password.encode())
    return check
