"""The Model health tab: public aggregates of the feedback store (emoji_fer.app.desk.health_view)."""

import gradio as gr

from emoji_fer.app.admin import ADMIN_PASSWORD_ENV, ADMIN_PATH
from emoji_fer.app.desk import public_error
from emoji_fer.feedback import StoreUnavailable


def health_tab(desk, admin_served=False):
    """The Model health tab (public aggregates of the feedback store): the model and
    period pickers, a Refresh button, a summary and the four figures."""
    def health(model, by):
        try:
            view = desk.health(model, by)
        except StoreUnavailable as err:
            raise gr.Error(public_error(err)) from None
        values = [value for _, value in view["choices"]]
        figures = view["figures"]
        return (gr.Dropdown(choices=view["choices"], value=model if model in values else "all"), view["summary"],
                figures["over_time"], figures["confusion"], figures["calibration"], figures["mix"])

    with gr.Tab("Model health") as tab:
        gr.Markdown(
            "How the model does on the faces users confirmed or corrected: accuracy and corrections over time, "
            "which expressions it confuses, whether its confidence matches its accuracy, and whether the "
            "expressions it sees here differ from FER-2013's. "
            + (f"Admins: the latest corrections (face crops) are at [{ADMIN_PATH}]({ADMIN_PATH}/)." if admin_served
               else "The gallery of the latest corrections shows faces, so it is for an admin only; it is not "
               "served: the demo was started without an admin password "
               f"(`--admin-password` or `{ADMIN_PASSWORD_ENV}`)."))
        with gr.Row():
            model = gr.Dropdown([("all models", "all")], value="all", label="Model version (SHA-256 prefix)", scale=3)
            by = gr.Radio(["day", "week"], value="day", label="Over time, by", scale=2)
            with gr.Column(scale=1):
                refresh = gr.Button("Refresh")
        summary = gr.Markdown()
        # The figures carry their own titles (a component label would cover them).
        plot = dict(format="png", show_label=False)
        over_time = gr.Plot(label="Accuracy and correction rate over time", **plot)
        confusion = gr.Plot(label="Confusion matrix, precision and recall", **plot)
        with gr.Row():
            calibration = gr.Plot(label="Calibration (reliability diagram)", **plot)
            mix = gr.Plot(label="Predicted-label mix against FER-2013", **plot)
    # Computed when the tab is opened or refreshed, not at every page load: it reads every row.
    gr.on([tab.select, refresh.click, model.input, by.input], health, [model, by],
          [model, summary, over_time, confusion, calibration, mix], api_name=False, concurrency_id="health")
