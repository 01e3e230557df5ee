//! Diagnostics: every user error carries the span of the offending token.
//!
//! A phase pushes errors into [`Diagnostics`] and keeps going; the pipeline stops
//! at the phase boundary ([`Diagnostics::propagate`]), so one build reports every
//! unknown name at once but never lowers a broken policy.

use proc_macro2::Span;

/// One error, in rustc's tone: lowercase, no final period, code in backticks.
#[derive(Clone, Debug)]
pub struct Diagnostic {
    /// Where it points.
    pub span: Span,
    /// What is wrong.
    pub message: String,
    /// How to fix it, or what else to know (`= help: …`).
    pub help: Option<String>,
}

impl Diagnostic {
    /// An error at `span`.
    pub fn error(span: Span, message: impl Into<String>) -> Self {
        Diagnostic {
            span,
            message: message.into(),
            help: None,
        }
    }

    /// The same error with a hint.
    #[must_use]
    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// The message and hint as one text, the way the macro reports it.
    #[must_use]
    pub fn full_message(&self) -> String {
        match &self.help {
            Some(h) => format!("{}\n  = help: {h}", self.message),
            None => self.message.clone(),
        }
    }

    /// A compile-time internal error, for what can only be a compiler bug.
    pub fn internal(span: Span, what: impl core::fmt::Display) -> Self {
        Diagnostic::error(
            span,
            format!("internal error: {what} (this is a bug in seccomp-compiler)"),
        )
    }
}

impl From<syn::Error> for Diagnostic {
    fn from(e: syn::Error) -> Self {
        Diagnostic::error(e.span(), e.to_string())
    }
}

/// The errors of one phase.
#[derive(Debug, Default)]
pub struct Diagnostics {
    list: Vec<Diagnostic>,
}

impl Diagnostics {
    /// No errors yet.
    #[must_use]
    pub fn new() -> Self {
        Diagnostics::default()
    }

    /// Records an error.
    pub fn push(&mut self, d: Diagnostic) {
        self.list.push(d);
    }

    /// Records an error at `span`.
    pub fn error(&mut self, span: Span, message: impl Into<String>) {
        self.push(Diagnostic::error(span, message));
    }

    /// How many errors were recorded.
    #[must_use]
    pub fn len(&self) -> usize {
        self.list.len()
    }

    /// Whether no error was recorded.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    /// Forgets the errors recorded after the first `len`.
    pub fn truncate(&mut self, len: usize) {
        self.list.truncate(len);
    }

    /// Whether any error was recorded.
    #[must_use]
    pub fn has_errors(&self) -> bool {
        !self.list.is_empty()
    }

    /// Ends a phase: `Err` with every error if there was one.
    ///
    /// # Errors
    ///
    /// The recorded errors, if any.
    pub fn propagate(self) -> Result<(), Vec<Diagnostic>> {
        if self.list.is_empty() {
            Ok(())
        } else {
            Err(self.list)
        }
    }

    /// The recorded errors.
    #[must_use]
    pub fn into_vec(self) -> Vec<Diagnostic> {
        self.list
    }
}
