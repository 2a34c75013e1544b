//! The fulfilment task template: the tasks an approved request opens, in order or at once.

use serde::{Deserialize, Serialize};

use crate::entities::Title;
use crate::error::FieldError;
use crate::ids::{TeamId, UserId};

/// Most tasks one template may hold.
pub const MAX_TASKS: usize = 50;

/// How the tasks of a template become actionable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TaskMode {
    /// One after another: only the first task not done is actionable.
    Ordered,
    /// All at once: every task not done is actionable.
    Parallel,
}

/// One task a request's fulfilment opens.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TaskTemplateEntry {
    /// The task's title (1..=200 characters, one line).
    pub title: String,
    /// The team that does it; the item's fulfilment team when absent.
    #[serde(default)]
    pub team_id: Option<TeamId>,
    /// The person who does it, when known in advance.
    #[serde(default)]
    pub assignee_id: Option<UserId>,
}

impl TaskTemplateEntry {
    /// A task for the fulfilment team, unassigned.
    pub fn new(title: &str) -> Self {
        Self {
            title: title.to_owned(),
            team_id: None,
            assignee_id: None,
        }
    }
}

/// The tasks an approved request of an item opens.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TaskTemplate {
    /// Ordered or parallel.
    pub mode: TaskMode,
    /// The tasks, in order.
    pub tasks: Vec<TaskTemplateEntry>,
}

impl TaskTemplate {
    /// Checks the template; errors are named `task_template.tasks[i].title` and so on.
    /// Whether teams and assignees exist is the use case's question.
    ///
    /// # Errors
    /// No task or more than [`MAX_TASKS`] (`task_template.tasks`); a title that is blank,
    /// longer than 200 characters, multi-line or holds control characters.
    pub fn check(&self) -> Result<(), Vec<FieldError>> {
        let mut errors = Vec::new();
        if self.tasks.is_empty() || self.tasks.len() > MAX_TASKS {
            errors.push(FieldError::new(
                "task_template.tasks",
                "out_of_range",
                format!("a template has 1 to {MAX_TASKS} tasks"),
            ));
        }
        for (i, task) in self.tasks.iter().enumerate() {
            if let Err(e) =
                Title::parse_line(&format!("task_template.tasks[{i}].title"), &task.title)
            {
                errors.push(e);
            }
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors)
        }
    }

    /// The tasks actionable when fulfilment starts (indexes into `tasks`).
    pub fn initially_open(&self) -> Vec<usize> {
        self.next_after(&[])
    }

    /// The tasks actionable once those with `done[i] == true` are done; a task beyond the
    /// end of `done` counts as not done. Ordered: the first task not done (none when all
    /// are done). Parallel: every task not done.
    pub fn next_after(&self, done: &[bool]) -> Vec<usize> {
        let mut open = (0..self.tasks.len()).filter(|&i| !done.get(i).copied().unwrap_or(false));
        match self.mode {
            TaskMode::Ordered => open.next().into_iter().collect(),
            TaskMode::Parallel => open.collect(),
        }
    }
}
