//! The page's views, one per file. Each takes plain props and callbacks;
//! none holds logic beyond what to show.

pub mod agent_panel;
pub mod check_form;
pub mod grid;
pub mod inbound;
pub mod install;
pub mod relay;
pub mod relay_section;
pub mod share_panel;
pub mod verdict;
