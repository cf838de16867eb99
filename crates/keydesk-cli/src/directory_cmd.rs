//! `keydesk user|group|roles|locked|doctor`: the directory commands.

use anyhow::Context;
use keydesk_ops::Report;
use keydesk_ops::directory::{self, NewUserRequest, ProfileUpdate, SearchCriteria};

use crate::commands::{Ctx, DeliveryArgs, write};
use keydesk_ops::guarded::Subject;

#[derive(Debug, clap::Subcommand)]
pub enum UserCommand {
    /// Profile, manager, roles, groups, methods and risk of a user.
    Show { user: String },
    /// Find users by name, UPN or mail prefix, department, job title or status.
    Search {
        /// Prefix of a name, UPN or mail.
        text: Option<String>,
        #[arg(long)]
        department: Option<String>,
        #[arg(long)]
        job_title: Option<String>,
        /// Only enabled accounts.
        #[arg(long, conflicts_with = "disabled")]
        enabled: bool,
        /// Only disabled accounts.
        #[arg(long)]
        disabled: bool,
    },
    /// Create a user; the temporary password goes to the manager (or --deliver-to / --reveal).
    Create(CreateArgs),
    /// Update phone, office, job title, department or name.
    Update(UpdateArgs),
    /// Set a user's photo from a JPEG or PNG file (at most 4 MB).
    Photo {
        user: String,
        file: std::path::PathBuf,
    },
}

#[derive(Debug, clap::Args)]
pub struct CreateArgs {
    /// Display name, e.g. "Noa Levi".
    #[arg(long)]
    pub name: String,
    /// UPN (or just the nickname; the tenant domain is added).
    #[arg(long)]
    pub upn: Option<String>,
    #[arg(long)]
    pub department: Option<String>,
    #[arg(long)]
    pub job_title: Option<String>,
    /// The manager (UPN, mail or name).
    #[arg(long)]
    pub manager: Option<String>,
    #[arg(long)]
    pub office: Option<String>,
    #[arg(long)]
    pub mobile: Option<String>,
    #[arg(long)]
    pub phone: Option<String>,
    /// ISO country code, e.g. US.
    #[arg(long)]
    pub usage_location: Option<String>,
    #[command(flatten)]
    pub delivery: DeliveryArgs,
}

#[derive(Debug, clap::Args)]
pub struct UpdateArgs {
    pub user: String,
    #[arg(long)]
    pub mobile: Option<String>,
    /// Business phone (Graph keeps one).
    #[arg(long)]
    pub phone: Option<String>,
    #[arg(long)]
    pub office: Option<String>,
    #[arg(long)]
    pub job_title: Option<String>,
    #[arg(long)]
    pub department: Option<String>,
    #[arg(long)]
    pub display_name: Option<String>,
}

#[derive(Debug, clap::Subcommand)]
pub enum GroupCommand {
    /// Members of a group.
    Members { group: String },
    /// Add a user to a group.
    Add { user: String, group: String },
    /// Remove a user from a group.
    Remove { user: String, group: String },
    /// Ask to join a group (yourself, or --user): the group's owners approve.
    Request {
        group: String,
        /// Who joins (default: the acting principal).
        #[arg(long)]
        user: Option<String>,
    },
    /// Is the user a member (directly or through nested groups)?
    Check { user: String, group: String },
    /// The groups a user belongs to.
    Of { user: String },
}

pub(crate) async fn user(
    ctx: &Ctx<'_>,
    command: UserCommand,
) -> anyhow::Result<Result<Report, keydesk_ops::Error>> {
    let ops = ctx.ops;
    Ok(match command {
        UserCommand::Show { user } => directory::show_user(ops, &user).await,
        UserCommand::Search {
            text,
            department,
            job_title,
            enabled,
            disabled,
        } => {
            let criteria = SearchCriteria {
                text,
                department,
                job_title,
                enabled: if enabled {
                    Some(true)
                } else if disabled {
                    Some(false)
                } else {
                    None
                },
            };
            directory::search_users(ops, &criteria).await
        }
        UserCommand::Create(args) => {
            let request = NewUserRequest {
                display_name: args.name.clone(),
                upn: args.upn.clone(),
                department: args.department.clone(),
                job_title: args.job_title.clone(),
                manager: args.manager.clone(),
                office_location: args.office.clone(),
                mobile_phone: args.mobile.clone(),
                business_phone: args.phone.clone(),
                usage_location: args.usage_location.clone(),
                ..NewUserRequest::default()
            };
            let (request, delivery) = (&request, &args.delivery.delivery());
            write(ctx, Subject::Tenant, |mode| async move {
                directory::create_user(ops, request, delivery, &mode).await
            })
            .await
        }
        UserCommand::Update(args) => {
            let update = ProfileUpdate {
                display_name: args.display_name.clone(),
                job_title: args.job_title.clone(),
                department: args.department.clone(),
                office_location: args.office.clone(),
                mobile_phone: args.mobile.clone(),
                business_phones: args.phone.clone().map(|p| vec![p]),
                ..ProfileUpdate::default()
            };
            let (user, update) = (&args.user, &update);
            write(ctx, Subject::User, |mode| async move {
                directory::update_user_profile(ops, user, update, &mode).await
            })
            .await
        }
        UserCommand::Photo { user, file } => {
            let bytes =
                std::fs::read(&file).with_context(|| format!("reading {}", file.display()))?;
            let declared = file.display().to_string();
            let (user, bytes, declared) = (&user, &bytes, &declared);
            write(ctx, Subject::User, |mode| async move {
                directory::update_photo(ops, user, bytes.clone(), declared, &mode).await
            })
            .await
        }
    })
}

pub(crate) async fn group(
    ctx: &Ctx<'_>,
    command: GroupCommand,
) -> Result<Report, keydesk_ops::Error> {
    use keydesk_ops::groups;
    let ops = ctx.ops;
    match command {
        GroupCommand::Members { group } => groups::list_group_members(ops, &group).await,
        GroupCommand::Add { user, group } => {
            let (user, group_ref) = (&user, &group);
            write(ctx, Subject::Group(group.clone()), |mode| async move {
                groups::grant_access(ops, user, group_ref, &mode).await
            })
            .await
        }
        GroupCommand::Remove { user, group } => {
            let (user, group_ref) = (&user, &group);
            write(ctx, Subject::Group(group.clone()), |mode| async move {
                groups::remove_access(ops, user, group_ref, &mode).await
            })
            .await
        }
        GroupCommand::Request { group, user } => {
            let user = user.unwrap_or_else(|| ctx.actor.principal.upn.clone());
            let (user, group_ref) = (&user, &group);
            write(ctx, Subject::Group(group.clone()), |mode| async move {
                groups::request_access(ops, user, group_ref, &mode).await
            })
            .await
        }
        GroupCommand::Check { user, group } => groups::check_membership(ops, &user, &group).await,
        GroupCommand::Of { user } => groups::list_user_groups(ops, &user).await,
    }
}
