//! A declaration macro for the domain's closed enums (statuses, roles, permissions): each
//! variant gets one wire spelling used by serde, `Display`, parsing and error messages, so the
//! spelling stored in DynamoDB and shown by the API can never drift apart.

/// Declares a `Copy` enum whose variants each have one wire spelling, with `ALL`, `as_str`,
/// `parse`, `Display` and serde in that spelling.
macro_rules! wire_enum {
    (
        $(#[$meta:meta])*
        pub enum $name:ident : $field:literal {
            $( $(#[$vmeta:meta])* $variant:ident => $wire:literal ),+ $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(
            Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord,
            serde::Serialize, serde::Deserialize,
        )]
        pub enum $name {
            $( $(#[$vmeta])* #[serde(rename = $wire)] $variant ),+
        }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The wire spelling.
            pub fn as_str(self) -> &'static str {
                match self {
                    $( $name::$variant => $wire ),+
                }
            }

            /// Parses the wire spelling; anything else is an error naming the field.
            pub fn parse(text: &str) -> $crate::error::Result<Self> {
                match text {
                    $( $wire => Ok($name::$variant), )+
                    _ => Err($crate::error::CoreError::invalid(
                        $field,
                        format!("unknown value {:?}", text.chars().take(64).collect::<String>()),
                    )),
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl std::str::FromStr for $name {
            type Err = $crate::error::CoreError;
            fn from_str(text: &str) -> Result<Self, Self::Err> {
                Self::parse(text)
            }
        }
    };
}

pub(crate) use wire_enum;
