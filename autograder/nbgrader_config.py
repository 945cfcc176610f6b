"""nbgrader configuration of the course. Run every nbgrader command from this folder."""

c = get_config()  # noqa: F821 (provided by nbgrader when it reads this file)

c.CourseDirectory.course_id = "backprop-book"
# One assignment per chapter; its source is source/<chapter>/<chapter>.ipynb.
c.CourseDirectory.root = "."
c.CourseDirectory.db_url = "sqlite:///gradebook.db"

# Example roster: replace with your class (or use `nbgrader db student import roster.csv`).
c.CourseDirectory.db_students = [
    {"id": "ada", "first_name": "Ada", "last_name": "Lovelace"},
    {"id": "alan", "first_name": "Alan", "last_name": "Turing"},
]

# A cell that runs longer than this is stopped and counts as failed; the rest still runs.
c.ExecutePreprocessor.timeout = 60
c.ExecutePreprocessor.interrupt_on_timeout = True

# The stub that replaces each solution in the released notebooks.
c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}
c.ClearSolutions.text_stub = "YOUR ANSWER HERE"
