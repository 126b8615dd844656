//! Unit tests of the mapping, without a network.

use tonic::{Code, Status};

use super::*;

fn answer(errors: &ExceptionToStatus, failure: Failure, code: Option<Code>) -> Status {
    let state = CallState::default();
    let mut context = Context::new(Side::Server, &state);
    if let Some(code) = code {
        context.set_code(code);
    }
    let name = MethodName::new("pkg", "Svc", "Call");
    errors.handle_exception(failure, &mut context, &name)
}

fn parts(status: &Status) -> (Code, &str) {
    (status.code(), status.message())
}

#[test]
fn unknown_statuses_keep_their_message_and_metadata_under_a_new_code() {
    let mut status = Status::from_error("oops".into());
    status.metadata_mut().insert("x-k", "v".parse().unwrap());
    let errors = ExceptionToStatus::new()
        .status_on_unknown_exception(Code::Unavailable)
        .unwrap();
    let answered = answer(&errors, Failure::Status(status), None);
    assert_eq!(parts(&answered), (Code::Unavailable, "oops"));
    assert_eq!(answered.metadata().get("x-k").unwrap(), "v");
}

#[test]
fn a_code_on_the_context_wins_over_the_default_but_not_over_a_chosen_status() {
    let errors = ExceptionToStatus::new();
    let panic = Failure::Panic(Box::new(String::from("oops")));
    let answered = answer(&errors, panic, Some(Code::NotFound));
    assert_eq!(parts(&answered), (Code::NotFound, "panicked: oops"));
    let chosen = Failure::Status(Status::aborted("mine"));
    let answered = answer(&errors, chosen, Some(Code::NotFound));
    assert_eq!(parts(&answered), (Code::Aborted, "mine"));
    // OK on the context is no code at all.
    let panic = Failure::Panic(Box::new(1_u8));
    let answered = answer(&errors, panic, Some(Code::Ok));
    assert_eq!(parts(&answered), (Code::Unknown, "panicked: Box<dyn Any>"));
}

#[test]
fn the_hook_sees_every_failure_and_an_ok_answer_falls_back_to_the_default() {
    let errors = ExceptionToStatus::new().on_failure(|failure, context, name| {
        assert_eq!(name.as_str(), "/pkg.Svc/Call");
        match failure {
            Failure::Status(status) if status.code() == Code::Aborted => {
                Some(Status::ok("not an error"))
            }
            _ => Some(Status::data_loss(format!("{failure} {:?}", context.code()))),
        }
    });
    let answered = answer(&errors, Failure::Status(Status::aborted("x")), None);
    assert_eq!(parts(&answered), (Code::Aborted, "x"));
    let answered = answer(&errors, Failure::Status(Status::not_found("y")), None);
    assert_eq!(parts(&answered), (Code::DataLoss, "y None"));
    let answered = answer(&errors, Failure::Panic(Box::new("z")), Some(Code::Internal));
    assert_eq!(
        parts(&answered),
        (Code::DataLoss, "panicked: z Some(Internal)")
    );
}

#[test]
fn debug_shows_the_configuration() {
    let errors = ExceptionToStatus::new()
        .status_on_unknown_exception(Code::Internal)
        .unwrap();
    let debug = format!("{errors:?}");
    assert_eq!(
        debug,
        "ExceptionToStatus { status_on_unknown_exception: \"INTERNAL\", hook: false }"
    );
    let failure = format!("{:?}", Failure::Panic(Box::new("oops")));
    assert_eq!(failure, "Panic(\"oops\")");
}
