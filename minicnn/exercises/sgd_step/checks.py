"""What the checker compares an ``sgd_step`` with: the reference, the cases, and the classic mistakes."""

from hypothesis import strategies as st

from minicnn import equations
from minicnn.exercises.exercise import Exercise, MistakeList
from minicnn.exercises.values import tenths


def reference(w, grad, learning_rate):
    """``w − α · ∂L/∂w``, from the course's equations (``equations.sgd_update``)."""
    return equations.sgd_update(w, grad, learning_rate)


def make_arguments(case, rng):
    return {"w": tenths(rng, case["shape"], -2, 2),
            "grad": tenths(rng, case["shape"], -2, 2, avoid=(0.0,)),
            "learning_rate": case["learning_rate"]}


def random_cases():
    # never a learning rate of 1, which would hide a forgotten learning rate
    return st.fixed_dictionaries({"shape": st.lists(st.integers(1, 4), min_size=1, max_size=4).map(tuple),
                                  "learning_rate": st.sampled_from([0.1, 0.5, 0.01, 0.25, 2.0])})


mistakes = MistakeList()


@mistakes.add("new_w", "wrong sign: a step uphill",
              "You added the step: w + α·∂L/∂w. The gradient points to where the loss grows, so gradient descent "
              "moves against it: new_w = w − α·∂L/∂w.")
def step_uphill(w, grad, learning_rate):
    return w + learning_rate * grad


@mistakes.add("new_w", "learning rate left out",
              "Your step is the whole gradient: w − ∂L/∂w. Scale it by the learning rate: new_w = w − α·∂L/∂w.")
def learning_rate_left_out(w, grad, learning_rate):
    return w - grad


@mistakes.add("new_w", "divided by the learning rate",
              "You divided the gradient by the learning rate. The learning rate multiplies the step: "
              "new_w = w − α·∂L/∂w.")
def divided_by_learning_rate(w, grad, learning_rate):
    return w - grad / learning_rate


@mistakes.add("new_w", "learning rate applied to w as well",
              "You computed α·(w − ∂L/∂w): the learning rate scaled the parameter too. Only the step is scaled: "
              "new_w = w − α·∂L/∂w.")
def learning_rate_on_w_too(w, grad, learning_rate):
    return learning_rate * (w - grad)


@mistakes.add("new_w", "returned the step, not the new weights",
              "You returned only the step (±α·∂L/∂w). Return the parameter after the step: new_w = w − α·∂L/∂w.")
def returned_the_step(w, grad, learning_rate):
    return [-learning_rate * grad, learning_rate * grad]


@mistakes.add("new_w", "weights not updated",
              "You returned w unchanged. If you wrote w - learning_rate * grad, its result was not kept: assign it "
              "(new_w = w - learning_rate * grad) or update in place (w -= learning_rate * grad), then return it.")
def weights_not_updated(w, grad, learning_rate):
    return w


EXERCISE = Exercise(
    name="sgd_step",
    parameters=("w", "grad", "learning_rate"),
    outputs=("new_w",),
    reference=reference,
    make_arguments=make_arguments,
    fixed_cases=({"shape": (3,), "learning_rate": 0.1}, {"shape": (2, 3), "learning_rate": 0.5},
                 {"shape": (3, 3, 1, 2), "learning_rate": 0.01}),
    random_cases=random_cases,
    mistakes=mistakes,
    shape_rules={"new_w": "the new parameter has the shape of w"},
    may_change_in_place=("w",),  # task.md: "You may build a new array or update w in place and return it"
)
