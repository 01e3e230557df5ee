//! Policy tokens → one const program per Rust target ABI, each behind its `cfg`.
//!
//! A proc macro cannot see the target it expands for, so it compiles the policy
//! for every ABI a Rust target can have and lets `cfg` pick. Errors are per ABI
//! too: an error found for every ABI is reported unconditionally, one found only
//! for some (say, `open` on aarch64) only when compiling for those.

use proc_macro2::{Span, TokenStream};
use quote::{quote, quote_spanned};
use seccomp_compiler::ir::Operand;
use seccomp_compiler::program::{Program, Symbol};
use seccomp_compiler::{Arch, Diagnostic, syntax};

/// Each ABI a Rust target can run under, with the `cfg` that selects it: the
/// generated description every crate reads (`seccomp_bpf::arch::ARCHES`), so the
/// program the macro picks is the one of the runtime's `AUDIT_ARCH`.
fn targets() -> Vec<(Arch, TokenStream)> {
    Arch::ALL
        .iter()
        .filter_map(|&arch| {
            let cfg = arch.info().cfg?;
            let tokens = cfg
                .parse()
                .unwrap_or_else(|e| panic!("the generated cfg of {arch} is not tokens: {e}"));
            Some((arch, tokens))
        })
        .collect()
}

/// The error on a target no ABI's `cfg` selects.
fn unsupported_target_message() -> String {
    let names: Vec<&str> = targets().iter().map(|(a, _)| a.as_str()).collect();
    format!(
        "seccomp! has no filter for this target: seccomp filters exist for the Linux targets of the ABIs {} (not for big-endian arm and aarch64: their seccomp_data is big-endian, libseccomp's arm and aarch64 ABIs are little-endian; see seccomp_bpf::arch::ARCHES)",
        names.join(", ")
    )
}

const PROGRAM: &str = "__SECCOMP_PROGRAM";

/// Expands `seccomp! { … }`.
pub fn filter(input: TokenStream) -> TokenStream {
    let program = syn::Ident::new(PROGRAM, Span::call_site());
    let ast = match syntax::parse(input) {
        Ok(ast) => ast,
        Err(diags) => {
            let errors = diags.iter().map(compile_error);
            let placeholder = placeholder(&program);
            return quote!({
                #(#errors)*
                #placeholder
                ::seccomp_rt::__private::Filter::from_static(&#program)
            });
        }
    };

    // A policy that uses `notify` is a `NotifyFilter`, which can only be installed
    // with a listener.
    // A policy with runtime parameters is a `Template`, which only installs once
    // every parameter is bound.
    let params = ast.param_names();
    let filter_type = if !params.is_empty() {
        let p = params.len();
        quote!(::seccomp_rt::__private::Template::<#p>)
    } else if uses_notify(&ast) {
        quote!(::seccomp_rt::__private::NotifyFilter)
    } else {
        quote!(::seccomp_rt::__private::Filter)
    };
    let targets = targets();
    let results: Vec<Result<Program, Vec<Diagnostic>>> = targets
        .iter()
        .map(|(arch, _)| seccomp_compiler::compile_linted(&ast, *arch))
        .collect();

    // Errors every ABI has are the policy's own; the rest belong to their ABIs.
    let key = |d: &Diagnostic| (format!("{:?}", d.span), d.full_message());
    let universal: Vec<&Diagnostic> = match &results[0] {
        Err(first) => first
            .iter()
            .filter(|d| {
                results.iter().all(|r| {
                    r.as_ref()
                        .is_err_and(|ds| ds.iter().any(|e| key(e) == key(d)))
                })
            })
            .collect(),
        Ok(_) => Vec::new(),
    };
    let universal_keys: Vec<_> = universal.iter().map(|d| key(d)).collect();

    let mut items = Vec::new();
    for d in &universal {
        items.push(compile_error(d));
    }
    for ((_, cfg), result) in targets.iter().zip(&results) {
        match result {
            Ok(p) => {
                items.push(program_item(&program, cfg, p));
                if !params.is_empty() {
                    items.push(param_items(cfg, Some(p), &params));
                }
            }
            Err(diags) => {
                for d in diags.iter().filter(|d| !universal_keys.contains(&key(d))) {
                    let e = compile_error(d);
                    items.push(quote!(#[cfg(#cfg)] #e));
                }
                let placeholder = placeholder(&program);
                items.push(quote!(#[cfg(#cfg)] #placeholder));
                if !params.is_empty() {
                    items.push(param_items(cfg, None, &params));
                }
            }
        }
    }
    let supported: Vec<&TokenStream> = targets.iter().map(|(_, c)| c).collect();
    let unsupported_params = if params.is_empty() {
        TokenStream::new()
    } else {
        param_items(&quote!(not(any(#(#supported),*))), None, &params)
    };
    let construct = if params.is_empty() {
        quote!(#filter_type::from_static(&#program))
    } else {
        quote!(#filter_type::from_parts(&#program, &__SECCOMP_SLOTS, &__SECCOMP_PARAMS))
    };
    let placeholder = placeholder(&program);
    let unsupported = unsupported_target_message();
    quote!({
        #(#items)*
        #[cfg(not(any(#(#supported),*)))]
        ::core::compile_error!(#unsupported);
        #[cfg(not(any(#(#supported),*)))]
        #placeholder
        #unsupported_params
        #construct
    })
}

fn uses_notify(ast: &syntax::ast::Policy) -> bool {
    use syntax::ast::{ActionKind, Statement};
    ast.statements.iter().any(|s| {
        let action = match s {
            Statement::Default(_, a) | Statement::BadArch(_, a) | Statement::Unknown(_, a) => {
                Some(a)
            }
            Statement::Rule(r) => r.action.as_ref(),
            Statement::Arch(..) | Statement::AllowLints(..) => None,
        };
        action.is_some_and(|a| matches!(a.kind, ActionKind::Notify))
    })
}

fn compile_error(d: &Diagnostic) -> TokenStream {
    let msg = d.full_message();
    quote_spanned!(d.span=> ::core::compile_error!{ #msg })
}

/// A well-typed program for when the policy has errors, so that rustc reports
/// only ours.
fn placeholder(program: &syn::Ident) -> TokenStream {
    quote! {
        static #program: [::seccomp_rt::__private::SockFilter; 1] =
            [::seccomp_rt::__private::SockFilter { code: 0x06, jt: 0, jf: 0, k: 0x8000_0000 }];
    }
}

fn program_item(program: &syn::Ident, cfg: &TokenStream, p: &Program) -> TokenStream {
    let n = p.instrs.len();
    let instrs = p.instrs.iter().map(|i| {
        let (code, jt, jf) = (i.code, i.jt, i.jf);
        let k = operand(i.k, &p.symbols);
        quote!(::seccomp_rt::__private::SockFilter { code: #code, jt: #jt, jf: #jf, k: #k })
    });
    let checks = p.symbols.iter().map(symbol_check);
    quote! {
        #[cfg(#cfg)]
        static #program: [::seccomp_rt::__private::SockFilter; #n] = {
            #(#checks)*
            [#(#instrs),*]
        };
    }
}

/// The slots of the runtime parameters in one ABI's program, and the parameters'
/// names and ranges (placeholders for an ABI whose program has errors).
fn param_items(cfg: &TokenStream, p: Option<&Program>, names: &[String]) -> TokenStream {
    let slots: Vec<TokenStream> = p.map_or_else(Vec::new, |p| {
        p.instrs
            .iter()
            .enumerate()
            .filter_map(|(i, ins)| match ins.k {
                Operand::Param { param, half, and, xor } => {
                    let index = u16::try_from(i).expect("at most 4096 instructions");
                    let param = u8::try_from(param).expect("fewer than 256 parameters");
                    let hi = half == seccomp_compiler::ir::Half::Hi;
                    Some(quote!(::seccomp_rt::__private::Slot { index: #index, param: #param, hi: #hi, and: #and, xor: #xor }))
                }
                _ => None,
            })
            .collect()
    });
    let specs = names.iter().enumerate().map(|(i, name)| {
        let (min, max) = p.map_or((0i128, 0i128), |p| (p.params[i].min, p.params[i].max));
        quote!(::seccomp_rt::__private::ParamSpec { name: #name, min: #min, max: #max })
    });
    let (s, n) = (slots.len(), names.len());
    quote! {
        #[cfg(#cfg)]
        static __SECCOMP_SLOTS: [::seccomp_rt::__private::Slot; #s] = [#(#slots),*];
        #[cfg(#cfg)]
        static __SECCOMP_PARAMS: [::seccomp_rt::__private::ParamSpec; #n] = [#(#specs),*];
    }
}

fn operand(k: Operand, symbols: &[Symbol]) -> TokenStream {
    match k {
        Operand::Imm(v) => quote!(#v),
        // Filled in when the template is bound.
        Operand::Param { .. } => quote!(0u32),
        Operand::Sym {
            sym,
            half,
            and,
            xor,
        } => {
            let expr = &symbols[sym as usize].expr;
            let shift: u32 = if half == seccomp_compiler::ir::Half::Hi {
                32
            } else {
                0
            };
            quote!({
                const V: i128 = #expr;
                (((V as u64) >> #shift) as u32 & #and) ^ #xor
            })
        }
    }
}

/// A const assertion, at the constant's path, that its value fits the parameter.
fn symbol_check(s: &Symbol) -> TokenStream {
    let (expr, min, max) = (&s.expr, s.min, s.max);
    let msg = format!(
        "this constant does not fit {}: values range from {min} to {max}",
        s.what
    );
    quote_spanned!(s.span=> const _: () = ::core::assert!({ let v: i128 = #expr; v >= #min && v <= #max }, #msg);)
}

/// Expands `#[seccomp_rt::main(policy)] fn main() { body }` into a `main` whose
/// first statement installs the policy, failing closed: if the kernel refuses it,
/// the process aborts with a message before the body runs.
///
/// Whatever other attribute is on the function (`#[tokio::main]`, in either order)
/// keeps working: the install goes first in whatever body this attribute sees, and
/// it synchronises every thread already started (TSYNC).
pub fn main(args: TokenStream, item: TokenStream) -> TokenStream {
    let filter = filter(args);
    let mut func: syn::ItemFn = match syn::parse2(item) {
        Ok(f) => f,
        Err(e) => return e.to_compile_error(),
    };
    let install: syn::Stmt = syn::parse_quote! {
        {
            static __SECCOMP_FILTER: ::seccomp_rt::Filter = #filter;
            ::seccomp_rt::__private::install_or_abort(&__SECCOMP_FILTER);
        }
    };
    func.block.stmts.insert(0, install);
    quote!(#func)
}

/// Expands `syscall_names!()`: the table of each target ABI, behind its `cfg`.
pub fn syscall_names(input: TokenStream) -> TokenStream {
    if !input.is_empty() {
        return syn::Error::new_spanned(input, "`syscall_names!` takes no arguments")
            .to_compile_error();
    }
    let items = targets().into_iter().map(|(arch, cfg)| {
        let t = arch.table();
        let mut rows: Vec<(u32, &str)> = t
            .by_nr
            .iter()
            .map(|&i| {
                (
                    t.syscalls[usize::from(i)].nr,
                    t.syscalls[usize::from(i)].name,
                )
            })
            .collect();
        rows.sort_unstable();
        let n = rows.len();
        let rows = rows.iter().map(|(nr, name)| quote!((#nr, #name)));
        quote! {
            #[cfg(#cfg)]
            static NAMES: [(u32, &str); #n] = [#(#rows),*];
        }
    });
    quote!({
        #(#items)*
        &NAMES[..]
    })
}

#[cfg(test)]
mod tests {
    use std::time::Instant;

    use proc_macro2::TokenStream;
    use seccomp_compiler::Arch;

    /// The `cfg` under which the runtime's generated code selects entry `i` of
    /// `ARCHES` as its `NATIVE` ABI, read from that code itself.
    fn runtime_cfg(generated: &str, i: usize) -> Option<String> {
        let item = format!("]\npub const NATIVE: Option<&ArchInfo> = Some(&ARCHES[{i}]);");
        let end = generated.find(&item)?;
        let start = generated[..end].rfind("#[cfg(")? + "#[cfg(".len();
        Some(generated[start..end - 1].to_owned())
    }

    /// For every ABI: the `cfg` the macro puts on its program is the `cfg` under
    /// which the runtime's generated code makes it the native ABI (whose
    /// `AUDIT_ARCH` the runtime uses), and the program behind it checks that ABI's
    /// `AUDIT_ARCH`; an ABI no Rust target runs has neither.
    #[test]
    fn the_macro_selects_each_abi_s_program_under_the_runtime_s_cfg() {
        let generated = include_str!("../../seccomp-bpf/src/generated/arches.rs");
        let expansion = super::filter("default => allow;".parse().expect("tokens")).to_string();
        let targets = super::targets();
        for (i, &arch) in Arch::ALL.iter().enumerate() {
            let macro_cfg = targets
                .iter()
                .find(|(a, _)| *a == arch)
                .map(|(_, c)| c.to_string());
            let runtime_cfg = runtime_cfg(generated, i);
            let Some(text) = runtime_cfg else {
                assert_eq!(
                    macro_cfg, None,
                    "{arch}: the macro has a program the runtime cannot select"
                );
                assert_eq!(arch.info().cfg, None, "{arch}");
                continue;
            };
            let tokens: TokenStream = text.parse().expect("a cfg predicate");
            assert_eq!(macro_cfg, Some(tokens.to_string()), "{arch}");
            // The program behind that cfg tests this ABI's AUDIT_ARCH.
            let head = format!("# [cfg ({tokens})] static __SECCOMP_PROGRAM");
            let at = expansion
                .find(&head)
                .unwrap_or_else(|| panic!("{arch}: no program"));
            let item = &expansion[at..];
            let item = &item[..item[head.len()..]
                .find("# [cfg")
                .map_or(item.len(), |n| n + head.len())];
            assert!(
                item.contains(&format!("k : {}u32", arch.audit_arch())),
                "{arch}: the program does not check {:#x}: {item}",
                arch.audit_arch()
            );
        }
    }

    /// The largest policy of the benchmark expands for every target ABI without an
    /// error. The time it takes is printed for `cargo xtask bench`, which runs this
    /// test in the profile proc macros are built with (unoptimized, in dev and
    /// release builds alike unless a workspace says otherwise), never asserted.
    #[test]
    fn largest_benchmark_policy_expands_for_every_target() {
        let text = include_str!("../../benches/container.policy");
        let tokens: proc_macro2::TokenStream = text.parse().expect("tokens");
        let mut best = None;
        let mut expansion = String::new();
        for _ in 0..5 {
            let start = Instant::now();
            let out = super::filter(tokens.clone());
            let took = start.elapsed();
            best = Some(best.map_or(took, |b: std::time::Duration| b.min(took)));
            expansion = out.to_string();
        }
        // The policy is written for x86_64 (other ABIs lack some of its syscalls and
        // get their errors behind their `cfg`): its program is there.
        let (arch, cfg) = &super::targets()[0];
        assert_eq!(*arch, seccomp_compiler::Arch::X86_64);
        let x86_64 = format!("# [cfg ({cfg})] static __SECCOMP_PROGRAM");
        assert!(expansion.contains(&x86_64), "{expansion}");
        let abis = super::targets().len();
        println!(
            "macro expansion of benches/container.policy (compiled for {abis} target ABIs, best of 5): {:.1} ms",
            best.expect("five runs").as_secs_f64() * 1e3
        );
    }
}
