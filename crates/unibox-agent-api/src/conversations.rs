//! The inbox: conversation rows, messages, notes, and the actions agents take on them. Each
//! handler is one or two hub calls, so the hub's policy, audit trail and outbox apply.

use axum::Json;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use http::StatusCode;
use serde::Deserialize;
use serde_json::{Value, json};
use unibox_core::inbox::{AssigneeFilter, ConversationQuery, Cursor, DEFAULT_PAGE_SIZE, MessageQuery, SearchQuery};
use unibox_core::{
    Actor, ChannelAccountId, ContactId, Content, Conversation, ConversationId, ConversationStatus, Timestamp, UserId,
};

use crate::extract::{ApiJson, ApiQuery, PathId, parse_optional};
use crate::rows::inbox_rows;
use crate::views::{AccountView, ContactView, MessageView, NoteView};
use crate::{AgentApi, AgentSession, ApiError};

type JsonResult = Result<Json<Value>, ApiError>;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ListQuery {
    status: Option<String>,
    /// `me`, `unassigned` or a user id.
    assignee: Option<String>,
    tag: Option<String>,
    unread: Option<bool>,
    account: Option<String>,
    contact: Option<String>,
    limit: Option<usize>,
    after: Option<String>,
}

/// `GET /conversations`: a page of inbox rows, newest activity first.
pub(crate) async fn list(
    State(api): State<AgentApi>,
    session: AgentSession,
    ApiQuery(query): ApiQuery<ListQuery>,
) -> JsonResult {
    let actor = session.actor();
    let mut filter = ConversationQuery::new().limit(query.limit.unwrap_or(DEFAULT_PAGE_SIZE));
    filter.status = parse_optional::<ConversationStatus>("status", query.status.as_deref())?;
    filter.assignee = match query.assignee.as_deref() {
        None | Some("") => None,
        Some("unassigned") => Some(AssigneeFilter::Unassigned),
        Some("me") => Some(AssigneeFilter::User(session.session().user.clone())),
        Some(user) => Some(AssigneeFilter::User(
            user.parse::<UserId>().map_err(|_| ApiError::invalid(format!("invalid assignee {user:?}")))?,
        )),
    };
    filter.tag = query.tag.filter(|t| !t.is_empty());
    filter.unread_only = query.unread.unwrap_or(false);
    filter.account = parse_optional::<ChannelAccountId>("account", query.account.as_deref())?;
    filter.contact = parse_optional::<ContactId>("contact", query.contact.as_deref())?;
    filter.after = parse_optional::<Cursor>("after", query.after.as_deref())?;
    filter.validate()?;
    let page = api.hub().conversations(&actor, &filter).await?;
    let rows = inbox_rows(api.hub(), &actor, &page.items).await?;
    Ok(Json(json!({ "items": rows, "next": page.next.map(|c| c.to_string()) })))
}

/// `GET /conversations/{id}`: one inbox row.
pub(crate) async fn one(
    State(api): State<AgentApi>,
    session: AgentSession,
    PathId(id): PathId<ConversationId>,
) -> JsonResult {
    let actor = session.actor();
    let conversation = api.hub().conversation(&actor, id).await?;
    row(&api, &actor, conversation).await
}

async fn row(api: &AgentApi, actor: &Actor, conversation: Conversation) -> JsonResult {
    let rows = inbox_rows(api.hub(), actor, std::slice::from_ref(&conversation)).await?;
    Ok(Json(json!(rows.first())))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct PageQuery {
    limit: Option<usize>,
    before: Option<String>,
}

/// `GET /conversations/{id}/messages`: newest first; `before` continues with older ones.
pub(crate) async fn messages(
    State(api): State<AgentApi>,
    session: AgentSession,
    PathId(id): PathId<ConversationId>,
    ApiQuery(query): ApiQuery<PageQuery>,
) -> JsonResult {
    let page_query =
        MessageQuery::new()
            .limit(query.limit.unwrap_or(DEFAULT_PAGE_SIZE))
            .before(parse_optional::<Cursor>("before", query.before.as_deref())?);
    page_query.validate()?;
    let page = api.hub().messages(&session.actor(), id, &page_query).await?;
    let items: Vec<_> = page.items.iter().map(MessageView::of).collect();
    Ok(Json(json!({ "items": items, "next": page.next.map(|c| c.to_string()) })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Reply {
    /// A text reply.
    text: Option<String>,
    /// Any other content (`{"type": "image", ...}`), instead of `text`.
    content: Option<Content>,
    /// The platform id of the message to quote.
    reply_to: Option<String>,
}

/// `POST /conversations/{id}/messages`: a reply to the customer, through the hub's outbox.
pub(crate) async fn reply(
    State(api): State<AgentApi>,
    session: AgentSession,
    PathId(id): PathId<ConversationId>,
    ApiJson(reply): ApiJson<Reply>,
) -> Result<Response, ApiError> {
    let content = match (reply.text, reply.content) {
        (Some(text), None) if !text.trim().is_empty() => Content::text(text),
        (None, Some(content)) => content,
        (Some(_), None) => return Err(ApiError::invalid("a reply cannot be empty")),
        _ => return Err(ApiError::invalid("give either `text` or `content`")),
    };
    let message = api.hub().send_reply(&session.actor(), id, content, reply.reply_to).await?;
    Ok((StatusCode::CREATED, Json(json!(MessageView::of(&message)))).into_response())
}

/// `GET /conversations/{id}/notes`: internal notes, oldest first.
pub(crate) async fn notes(
    State(api): State<AgentApi>,
    session: AgentSession,
    PathId(id): PathId<ConversationId>,
) -> JsonResult {
    let notes = api.hub().notes(&session.actor(), id).await?;
    let items: Vec<_> = notes.iter().map(NoteView::of).collect();
    Ok(Json(json!({ "items": items })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewNote {
    body: String,
}

/// `POST /conversations/{id}/notes`: an internal note (never sent to the customer).
pub(crate) async fn add_note(
    State(api): State<AgentApi>,
    session: AgentSession,
    PathId(id): PathId<ConversationId>,
    ApiJson(note): ApiJson<NewNote>,
) -> Result<Response, ApiError> {
    let note = api.hub().add_note(&session.actor(), id, note.body).await?;
    Ok((StatusCode::CREATED, Json(json!(NoteView::of(&note)))).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Assignee {
    /// The user to assign; `null` unassigns.
    user: Option<String>,
}

/// `POST /conversations/{id}/assignee`: assigns (or with `null` unassigns).
pub(crate) async fn assign(
    State(api): State<AgentApi>,
    session: AgentSession,
    PathId(id): PathId<ConversationId>,
    ApiJson(assignee): ApiJson<Assignee>,
) -> JsonResult {
    let actor = session.actor();
    let conversation = match assignee.user {
        Some(user) => {
            let user = user.parse::<UserId>().map_err(|_| ApiError::invalid(format!("invalid user {user:?}")))?;
            api.hub().assign(&actor, id, user).await?
        }
        None => api.hub().unassign(&actor, id).await?,
    };
    row(&api, &actor, conversation).await
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct TagChange {
    #[serde(default)]
    add: Vec<String>,
    #[serde(default)]
    remove: Vec<String>,
}

/// `POST /conversations/{id}/tags`: adds and removes tags.
pub(crate) async fn tags(
    State(api): State<AgentApi>,
    session: AgentSession,
    PathId(id): PathId<ConversationId>,
    ApiJson(change): ApiJson<TagChange>,
) -> JsonResult {
    let actor = session.actor();
    if change.add.is_empty() && change.remove.is_empty() {
        return Err(ApiError::invalid("give tags to `add` or `remove`"));
    }
    let mut conversation = None;
    if !change.add.is_empty() {
        conversation = Some(api.hub().add_tags(&actor, id, change.add).await?);
    }
    if !change.remove.is_empty() {
        conversation = Some(api.hub().remove_tags(&actor, id, change.remove).await?);
    }
    match conversation {
        Some(conversation) => row(&api, &actor, conversation).await,
        None => Err(ApiError::invalid("give tags to `add` or `remove`")),
    }
}

/// `POST /conversations/{id}/resolve`.
pub(crate) async fn resolve(
    State(api): State<AgentApi>,
    session: AgentSession,
    PathId(id): PathId<ConversationId>,
) -> JsonResult {
    let actor = session.actor();
    let conversation = api.hub().resolve(&actor, id).await?;
    row(&api, &actor, conversation).await
}

/// `POST /conversations/{id}/reopen`.
pub(crate) async fn reopen(
    State(api): State<AgentApi>,
    session: AgentSession,
    PathId(id): PathId<ConversationId>,
) -> JsonResult {
    let actor = session.actor();
    let conversation = api.hub().set_status(&actor, id, ConversationStatus::Open).await?;
    row(&api, &actor, conversation).await
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Snooze {
    /// When it wakes up, in Unix milliseconds.
    until: i64,
}

/// `POST /conversations/{id}/snooze`.
pub(crate) async fn snooze(
    State(api): State<AgentApi>,
    session: AgentSession,
    PathId(id): PathId<ConversationId>,
    ApiJson(snooze): ApiJson<Snooze>,
) -> JsonResult {
    let actor = session.actor();
    let conversation = api.hub().snooze(&actor, id, Timestamp::from_unix_millis(snooze.until)).await?;
    row(&api, &actor, conversation).await
}

/// `POST /conversations/{id}/read`: marks it read by the signed-in user.
pub(crate) async fn mark_read(
    State(api): State<AgentApi>,
    session: AgentSession,
    PathId(id): PathId<ConversationId>,
) -> JsonResult {
    let actor = session.actor();
    api.hub().mark_read(&actor, id).await?;
    let conversation = api.hub().conversation(&actor, id).await?;
    row(&api, &actor, conversation).await
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Search {
    q: String,
    limit: Option<usize>,
    before: Option<String>,
}

/// `GET /search?q=`: messages whose text has every term, newest first.
pub(crate) async fn search(
    State(api): State<AgentApi>,
    session: AgentSession,
    ApiQuery(search): ApiQuery<Search>,
) -> JsonResult {
    let query =
        SearchQuery::new(search.q)
            .limit(search.limit.unwrap_or(DEFAULT_PAGE_SIZE))
            .before(parse_optional::<Cursor>("before", search.before.as_deref())?);
    query.validate()?;
    let page = api.hub().search(&session.actor(), &query).await?;
    let items: Vec<_> = page.items.iter().map(MessageView::of).collect();
    Ok(Json(json!({ "items": items, "next": page.next.map(|c| c.to_string()) })))
}

/// `GET /conversations/{id}/orders`: the orders beside the chat (the contact's orders on the
/// conversation's account, with their status history), where the store keeps orders;
/// `available: false` where it does not.
pub(crate) async fn orders(
    State(api): State<AgentApi>,
    session: AgentSession,
    PathId(id): PathId<ConversationId>,
) -> JsonResult {
    let actor = session.actor();
    if api.hub().order_store().is_none() {
        // The conversation must still be the actor's: an unknown id is a 404 either way.
        api.hub().conversation(&actor, id).await?;
        return Ok(Json(json!({ "available": false, "items": [] })));
    }
    let orders = api.hub().conversation_orders(&actor, id).await?;
    let items: Vec<Value> = orders
        .iter()
        .map(|order| {
            let mut value = json!(order);
            if let Some(fields) = value.as_object_mut() {
                // The caller's own tenant: not worth repeating on every order.
                fields.remove("tenant");
            }
            value
        })
        .collect();
    Ok(Json(json!({ "available": true, "items": items })))
}

/// `GET /accounts`: the tenant's channel accounts.
pub(crate) async fn accounts(State(api): State<AgentApi>, session: AgentSession) -> JsonResult {
    let accounts = api.hub().accounts(&session.actor()).await?;
    let items: Vec<_> = accounts.iter().map(AccountView::of).collect();
    Ok(Json(json!({ "items": items })))
}

/// `GET /agents`: the tenant's agents (who conversations can be assigned to).
pub(crate) async fn agents(State(api): State<AgentApi>, session: AgentSession) -> JsonResult {
    let agents = api.hub().agents(&session.actor()).await?;
    let items: Vec<_> = agents
        .iter()
        .map(|agent| json!({ "user": agent.user.as_str(), "available": agent.available, "capacity": agent.capacity }))
        .collect();
    Ok(Json(json!({ "items": items })))
}

/// `GET /contacts/{id}`: a contact with their name, picture, platform profile state,
/// identities and attributes.
pub(crate) async fn contact(
    State(api): State<AgentApi>,
    session: AgentSession,
    PathId(id): PathId<ContactId>,
) -> JsonResult {
    let profile = api.hub().contact_profile(&session.actor(), id).await?;
    Ok(Json(json!(ContactView::of(&profile))))
}
