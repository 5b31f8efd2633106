//! `#[derive(TagFirst)]`: the `Deserialize` of an internally tagged enum
//! (`#[serde(tag = "kind")]`) that reads the tag first instead of buffering
//! the whole object.
//!
//! serde's own derive reads an internally tagged object into its private
//! buffer (`Content`), then reads the variant again from that buffer. Every
//! type inside the enum is then compiled twice, once for the JSON reader and
//! once for the buffer: in the page's wasm that second copy was about a
//! fifth of the code (serde-rs/serde#1495). mailport writes the tag first in
//! every object it produces, so a reader can take it from the first key and
//! read the rest of the object straight into the variant.
//!
//! The derive emits, beside the enum, in a `const _` block:
//!
//! - a twin of the enum without its tag, which serde derives as an
//!   externally tagged enum: its variants and fields keep their `#[serde]`
//!   attributes (renames, defaults, `deserialize_with`), so every field is
//!   read by serde's own code;
//! - `From<twin>` for the enum, a move of each variant's fields;
//! - `Deserialize` for the enum, which calls
//!   `crate::tag_first::deserialize` (in mailport-shared): tag first, then
//!   the twin's variant from the rest of the object; an object whose tag is
//!   not first (hand-written JSON, a `serde_json::Value` with sorted keys) is
//!   reordered and read again.
//!
//! The enum keeps `#[derive(Serialize)]` and its `#[serde(tag = ...)]`, which
//! writes the tag first. Only for mailport-shared's own types: the generated
//! code names `crate::tag_first`.

use proc_macro::TokenStream;
use proc_macro2::TokenStream as TokenStream2;
use quote::{format_ident, quote};
use syn::punctuated::Punctuated;
use syn::{parse_macro_input, Attribute, Data, DeriveInput, Error, Expr, Fields, Lit, Meta, Token};

/// See the crate documentation.
#[proc_macro_derive(TagFirst, attributes(serde))]
pub fn derive_tag_first(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    expand(&input)
        .unwrap_or_else(Error::into_compile_error)
        .into()
}

fn expand(input: &DeriveInput) -> syn::Result<TokenStream2> {
    let name = &input.ident;
    // Type parameters only (`Fact<T>`): each must itself be readable, for
    // the twin and for the reread of a reordered object.
    let generics = &input.generics;
    if generics.lifetimes().next().is_some() || generics.const_params().next().is_some() {
        return Err(Error::new_spanned(
            generics,
            "TagFirst: only type parameters are supported",
        ));
    }
    let (_, ty_generics, _) = generics.split_for_impl();
    let params: Vec<_> = generics.type_params().map(|p| &p.ident).collect();
    let Data::Enum(data) = &input.data else {
        return Err(Error::new_spanned(name, "TagFirst: only enums have a tag"));
    };
    let (tag, container) = split_tag(&input.attrs)?;
    let Some(tag) = tag else {
        return Err(Error::new_spanned(
            name,
            "TagFirst needs #[serde(tag = \"...\")]",
        ));
    };

    let twin = format_ident!("__{}TagFirstTwin", name);
    let mut variants = Vec::new();
    let mut arms = Vec::new();
    for v in &data.variants {
        let ident = &v.ident;
        let attrs = serde_attrs(&v.attrs);
        match &v.fields {
            Fields::Named(named) => {
                let fields = named.named.iter().map(|f| {
                    let (fa, fi, ft) = (serde_attrs(&f.attrs), &f.ident, &f.ty);
                    quote! { #(#fa)* #fi: #ft }
                });
                let names: Vec<_> = named.named.iter().map(|f| &f.ident).collect();
                variants.push(quote! { #(#attrs)* #ident { #(#fields),* } });
                arms.push(
                    quote! { #twin::#ident { #(#names),* } => #name::#ident { #(#names),* } },
                );
            }
            Fields::Unnamed(unnamed) => {
                let fields = unnamed.unnamed.iter().map(|f| {
                    let (fa, ft) = (serde_attrs(&f.attrs), &f.ty);
                    quote! { #(#fa)* #ft }
                });
                let names: Vec<_> = (0..unnamed.unnamed.len())
                    .map(|i| format_ident!("f{}", i))
                    .collect();
                variants.push(quote! { #(#attrs)* #ident ( #(#fields),* ) });
                arms.push(
                    quote! { #twin::#ident ( #(#names),* ) => #name::#ident ( #(#names),* ) },
                );
            }
            Fields::Unit => {
                variants.push(quote! { #(#attrs)* #ident });
                arms.push(quote! { #twin::#ident => #name::#ident });
            }
        }
    }

    Ok(quote! {
        const _: () = {
            #[derive(::serde::Deserialize)]
            #(#container)*
            enum #twin #ty_generics { #(#variants),* }

            impl<#(#params),*> ::core::convert::From<#twin #ty_generics> for #name #ty_generics {
                fn from(twin: #twin #ty_generics) -> Self {
                    match twin { #(#arms),* }
                }
            }

            impl<'de, #(#params),*> ::serde::Deserialize<'de> for #name #ty_generics
            where
                #(#params: ::serde::de::DeserializeOwned),*
            {
                fn deserialize<D: ::serde::Deserializer<'de>>(d: D) -> ::core::result::Result<Self, D::Error> {
                    crate::tag_first::deserialize::<D, Self, #twin #ty_generics>(d, #tag)
                }
            }
        };
    })
}

/// The `#[serde]` attributes of an item, which are all the twin needs (doc
/// comments, `#[default]` and the like mean nothing to a reader).
fn serde_attrs(attrs: &[Attribute]) -> Vec<&Attribute> {
    attrs
        .iter()
        .filter(|a| a.path().is_ident("serde"))
        .collect()
}

/// The container's tag, and its `#[serde]` attributes without it.
fn split_tag(attrs: &[Attribute]) -> syn::Result<(Option<String>, Vec<TokenStream2>)> {
    let mut tag = None;
    let mut kept = Vec::new();
    for attr in serde_attrs(attrs) {
        let metas = attr.parse_args_with(Punctuated::<Meta, Token![,]>::parse_terminated)?;
        let mut rest = Vec::new();
        for meta in metas {
            match &meta {
                Meta::NameValue(nv) if nv.path.is_ident("tag") => match &nv.value {
                    Expr::Lit(lit) => match &lit.lit {
                        Lit::Str(s) => tag = Some(s.value()),
                        other => return Err(Error::new_spanned(other, "tag must be a string")),
                    },
                    other => return Err(Error::new_spanned(other, "tag must be a string")),
                },
                Meta::NameValue(nv) if nv.path.is_ident("content") => {
                    return Err(Error::new_spanned(
                        nv,
                        "TagFirst is for internally tagged enums",
                    ));
                }
                _ => rest.push(meta),
            }
        }
        if !rest.is_empty() {
            kept.push(quote! { #[serde(#(#rest),*)] });
        }
    }
    Ok((tag, kept))
}
